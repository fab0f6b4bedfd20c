using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NuGet.Versioning;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Provenance;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Tests.Provenance;

[TestClass]
public sealed class ProvenanceBuilderTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly DateTimeOffset Started = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset Finished = Started.AddMinutes(3);
    private static readonly BuildHost Host = new("10.0.1", "Linux 6.1", "linux-x64", "1.2.3");

    public TestContext TestContext { get; set; } = null!;

    internal static Dictionary<string, string> GitHubEnvironment() => new(StringComparer.Ordinal)
    {
        ["GITHUB_ACTIONS"] = "true",
        ["GITHUB_SERVER_URL"] = "https://github.com",
        ["GITHUB_REPOSITORY"] = "octo-org/octo-repo",
        ["GITHUB_REPOSITORY_ID"] = "123456789",
        ["GITHUB_REPOSITORY_OWNER_ID"] = "987654321",
        ["GITHUB_WORKFLOW_REF"] = "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
        ["GITHUB_REF"] = "refs/heads/main",
        ["GITHUB_SHA"] = Commit,
        ["GITHUB_EVENT_NAME"] = "push",
        ["GITHUB_RUN_ID"] = "1000",
        ["GITHUB_RUN_ATTEMPT"] = "1",
        ["RUNNER_ENVIRONMENT"] = "github-hosted",
    };

    /// <summary>The Fulcio extensions a GitHub Actions certificate for <see cref="GitHubEnvironment"/> carries (by OID).</summary>
    internal static Dictionary<string, string> GitHubCertificate() => new(StringComparer.Ordinal)
    {
        [FulcioExtensions.BuildSignerUri] = "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
        [FulcioExtensions.SourceRepositoryUri] = "https://github.com/octo-org/octo-repo",
        [FulcioExtensions.SourceRepositoryDigest] = Commit,
        [FulcioExtensions.SourceRepositoryRef] = "refs/heads/main",
        [FulcioExtensions.RunInvocationUri] = "https://github.com/octo-org/octo-repo/actions/runs/1000/attempts/1",
    };

    internal static ProvenanceInputs Inputs(string? assets = null) => new()
    {
        Project = "Contoso.Greetings.csproj",
        Configuration = "Release",
        TargetFrameworks = ["net8.0", "net10.0"],
        Properties = new Dictionary<string, string> { ["Version"] = "1.0.0", ["Deterministic"] = "true", ["Empty"] = "" },
        SdkVersion = "10.0.401",
        MSBuildVersion = "18.0.0",
        AssetsFile = assets,
        StartedOn = Started,
    };

    internal static JsonObject Predicate(ProvenanceInputs inputs, IReadOnlyDictionary<string, string> env, out ProvenanceBuilder builder)
    {
        builder = new ProvenanceBuilder(inputs, BuildPlatform.Detect(name => env.TryGetValue(name, out var v) && v.Length > 0 ? v : null), Host);
        return builder.Build("pack", Finished);
    }

    private static JsonNode Statement(JsonObject predicate)
    {
        var subject = new InTotoSubject("pkg:nuget/Contoso.Greetings@1.0.0", new Dictionary<string, string>
        {
            ["sha256"] = new string('a', 64),
            ["sha512"] = new string('b', 128),
        });
        return JsonNode.Parse(new InTotoStatement([subject], SlsaProvenance.PredicateType, predicate).ToJson())!;
    }

    [TestMethod]
    public void LocalBuild_ValidatesAgainstTheSchemas_WithTheDocumentedFields()
    {
        var predicate = Predicate(Inputs() with { RepositoryUrl = "https://example.com/contoso/greetings.git", RepositoryCommit = Commit }, new Dictionary<string, string>(), out var builder);
        var statement = Statement(predicate);

        var errors = SlsaSchema.Validate(statement);
        Assert.IsEmpty(errors, string.Join("\n", errors));
        Assert.IsEmpty(builder.Warnings);
        Assert.AreEqual(SlsaProvenance.BuildTypeV1, (string?)predicate["buildDefinition"]!["buildType"]);
        var external = predicate["buildDefinition"]!["externalParameters"]!;
        Assert.AreEqual("pack", (string?)external["step"]);
        Assert.AreEqual("Contoso.Greetings.csproj", (string?)external["project"]);
        Assert.AreEqual("Release", (string?)external["configuration"]);
        Assert.AreEqual("net8.0,net10.0", string.Join(",", external["targetFrameworks"]!.AsArray().Select(f => (string?)f)));
        Assert.AreEqual("1.0.0", (string?)external["properties"]!["Version"]);
        Assert.IsNull(external["properties"]!["Empty"], "empty properties are dropped");
        Assert.IsNull(external["workflow"], "only GitHub Actions gets the workflow fields");
        var dotnet = predicate["buildDefinition"]!["internalParameters"]!["dotnet"]!;
        Assert.AreEqual("10.0.401", (string?)dotnet["sdkVersion"]);
        Assert.AreEqual("10.0.1", (string?)dotnet["runtimeVersion"]);
        Assert.AreEqual("Linux 6.1", (string?)dotnet["os"]);
        Assert.AreEqual(SlsaProvenance.LocalBuilderId, (string?)predicate["runDetails"]!["builder"]!["id"]);
        Assert.IsNull(predicate["runDetails"]!["metadata"]!["invocationId"]);
        Assert.AreEqual("2026-01-02T03:04:05Z", (string?)predicate["runDetails"]!["metadata"]!["startedOn"]);
        Assert.AreEqual("2026-01-02T03:07:05Z", (string?)predicate["runDetails"]!["metadata"]!["finishedOn"]);
        var source = predicate["buildDefinition"]!["resolvedDependencies"]![0]!;
        Assert.AreEqual("git+https://example.com/contoso/greetings.git", (string?)source["uri"]);
        Assert.AreEqual(Commit, (string?)source["digest"]!["gitCommit"]);
    }

    [TestMethod]
    public void GitHubActions_FollowsGitHubsBuildTypeConventions()
    {
        var predicate = Predicate(Inputs(), GitHubEnvironment(), out _);
        Assert.IsEmpty(SlsaSchema.Validate(Statement(predicate)));

        var definition = predicate["buildDefinition"]!;
        var workflow = definition["externalParameters"]!["workflow"]!;
        Assert.AreEqual("refs/heads/main", (string?)workflow["ref"]);
        Assert.AreEqual("https://github.com/octo-org/octo-repo", (string?)workflow["repository"]);
        Assert.AreEqual(".github/workflows/release.yml", (string?)workflow["path"]);
        var github = definition["internalParameters"]!["github"]!;
        Assert.AreEqual("push", (string?)github["event_name"]);
        Assert.AreEqual("123456789", (string?)github["repository_id"]);
        Assert.AreEqual("987654321", (string?)github["repository_owner_id"]);
        Assert.AreEqual("github-hosted", (string?)github["runner_environment"]);
        var source = definition["resolvedDependencies"]![0]!;
        Assert.AreEqual("git+https://github.com/octo-org/octo-repo@refs/heads/main", (string?)source["uri"]);
        Assert.AreEqual(Commit, (string?)source["digest"]!["gitCommit"]);
        Assert.AreEqual("https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main", (string?)predicate["runDetails"]!["builder"]!["id"]);
        Assert.AreEqual("https://github.com/octo-org/octo-repo/actions/runs/1000/attempts/1", (string?)predicate["runDetails"]!["metadata"]!["invocationId"]);

        // What the predicate says is exactly what Fulcio certifies for this job.
        var checks = ProvenanceConsistency.Check(SlsaProvenance.PredicateType, JsonSerializer.SerializeToElement(predicate), GitHubCertificate());
        Assert.HasCount(5, checks);
    }

    [TestMethod]
    public void GitHubActions_ATagWithAnAt_KeepsTheWholeRef()
    {
        var env = GitHubEnvironment();
        env["GITHUB_WORKFLOW_REF"] = "octo-org/octo-repo/.github/workflows/release.yml@refs/tags/pkg@1.0.0";
        var predicate = Predicate(Inputs(), env, out _);
        Assert.AreEqual("refs/tags/pkg@1.0.0", (string?)predicate["buildDefinition"]!["externalParameters"]!["workflow"]!["ref"]);
    }

    [TestMethod]
    public void BuilderIdOverride_ReplacesTheEnvironments()
    {
        var predicate = Predicate(Inputs() with { BuilderId = "https://github.com/octo-org/shared/.github/workflows/build.yml@refs/tags/v1" }, GitHubEnvironment(), out _);
        Assert.AreEqual("https://github.com/octo-org/shared/.github/workflows/build.yml@refs/tags/v1", (string?)predicate["runDetails"]!["builder"]!["id"]);
    }

    [TestMethod]
    public void GitLab_BuilderIdIsFulciosBuildSignerUri_InvocationIsTheJob()
    {
        var env = new Dictionary<string, string>
        {
            ["GITLAB_CI"] = "true", ["CI_SERVER_URL"] = "https://gitlab.example.com", ["CI_PROJECT_PATH"] = "group/project",
            ["CI_PROJECT_URL"] = "https://gitlab.example.com/group/project", ["CI_COMMIT_SHA"] = Commit, ["CI_COMMIT_BRANCH"] = "main",
            ["CI_JOB_URL"] = "https://gitlab.example.com/group/project/-/jobs/42",
        };
        var predicate = Predicate(Inputs(), env, out _);
        Assert.IsEmpty(SlsaSchema.Validate(Statement(predicate)));
        Assert.AreEqual("https://gitlab.example.com/group/project//.gitlab-ci.yml@refs/heads/main", (string?)predicate["runDetails"]!["builder"]!["id"]);
        Assert.AreEqual("https://gitlab.example.com/group/project/-/jobs/42", (string?)predicate["runDetails"]!["metadata"]!["invocationId"]);
        Assert.AreEqual("git+https://gitlab.example.com/group/project@refs/heads/main", (string?)predicate["buildDefinition"]!["resolvedDependencies"]![0]!["uri"]);
    }

    [TestMethod]
    public void AzurePipelines_BuilderIsThePipeline_InvocationIsTheBuild()
    {
        var env = new Dictionary<string, string>
        {
            ["TF_BUILD"] = "True", ["SYSTEM_COLLECTIONURI"] = "https://dev.azure.com/contoso/", ["SYSTEM_TEAMPROJECT"] = "Greetings",
            ["SYSTEM_DEFINITIONID"] = "7", ["BUILD_BUILDID"] = "99", ["BUILD_REPOSITORY_URI"] = "https://dev.azure.com/contoso/Greetings/_git/greetings",
            ["BUILD_SOURCEVERSION"] = Commit, ["BUILD_SOURCEBRANCH"] = "refs/heads/main",
        };
        var predicate = Predicate(Inputs(), env, out _);
        Assert.IsEmpty(SlsaSchema.Validate(Statement(predicate)));
        Assert.AreEqual("https://dev.azure.com/contoso/Greetings/_build?definitionId=7", (string?)predicate["runDetails"]!["builder"]!["id"]);
        Assert.AreEqual("https://dev.azure.com/contoso/Greetings/_build/results?buildId=99", (string?)predicate["runDetails"]!["metadata"]!["invocationId"]);
    }

    [TestMethod]
    [DataRow("https://github.com/octo-org/octo-repo.git", Commit, 1)]
    [DataRow("https://github.com/octo-org/octo-repo", Commit, 1)]
    [DataRow("https://github.com/octo-org/other", Commit, 2)]
    [DataRow("https://github.com/octo-org/octo-repo", "1111111111111111111111111111111111111111", 2)]
    public void SourceLinkSource_IsListedAfterTheCiSource_OnlyWhenItDiffers(string repositoryUrl, string commit, int sources)
    {
        var predicate = Predicate(Inputs() with { RepositoryUrl = repositoryUrl, RepositoryCommit = commit }, GitHubEnvironment(), out _);
        var dependencies = predicate["buildDefinition"]!["resolvedDependencies"]!.AsArray();
        Assert.AreEqual(sources, dependencies.Count(d => ((string?)d!["uri"])!.StartsWith("git+", StringComparison.Ordinal)));
        Assert.AreEqual("git+https://github.com/octo-org/octo-repo@refs/heads/main", (string?)dependencies[0]!["uri"], "the CI's source comes first");
    }

    [TestMethod]
    public void RepositoryUrlCredentials_NeverReachTheProvenance()
    {
        var predicate = Predicate(Inputs() with { RepositoryUrl = "https://x-access-token:ghs_secret@example.com/contoso/greetings", RepositoryCommit = Commit }, new Dictionary<string, string>(), out _);
        var json = predicate.ToJsonString();
        Assert.DoesNotContain("ghs_secret", json);
        Assert.DoesNotContain("x-access-token", json);
        Assert.AreEqual("git+https://example.com/contoso/greetings", (string?)predicate["buildDefinition"]!["resolvedDependencies"]![0]!["uri"]);
    }

    [TestMethod]
    public void NoSourceAnywhere_WarnsSSB0950()
    {
        var predicate = Predicate(Inputs(), new Dictionary<string, string>(), out var builder);
        Assert.IsNull(predicate["buildDefinition"]!["resolvedDependencies"]);
        Assert.AreEqual(ProvenanceCodes.SourceUnknown, builder.Warnings.Single().Code);
        Assert.IsEmpty(SlsaSchema.Validate(Statement(predicate)));
    }

    [TestMethod]
    public void RealAssetsFile_EveryPackageAppearsWithNuGetsSha512()
    {
        // This test project's own restore output: a real assets file with dozens of packages.
        var assets = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "obj", "project.assets.json");
        if (!File.Exists(assets))
        {
            Assert.Inconclusive($"No assets file at {assets}.");
        }

        var predicate = Predicate(Inputs(Path.GetFullPath(assets)), GitHubEnvironment(), out _);
        Assert.IsEmpty(SlsaSchema.Validate(Statement(predicate)));
        var dependencies = predicate["buildDefinition"]!["resolvedDependencies"]!.AsArray()
            .Where(d => ((string?)d!["uri"])!.StartsWith("pkg:nuget/", StringComparison.Ordinal))
            .ToDictionary(d => (string)d!["uri"]!, d => (string?)d!["digest"]?["sha512"], StringComparer.Ordinal);

        using var document = JsonDocument.Parse(File.ReadAllBytes(assets));
        var packageFolder = document.RootElement.GetProperty("packageFolders").EnumerateObject().First().Name;
        var expected = 0;
        var checkedAgainstFile = 0;
        foreach (var library in document.RootElement.GetProperty("libraries").EnumerateObject())
        {
            if (library.Value.GetProperty("type").GetString() != "package")
            {
                continue;
            }

            expected++;
            var (id, version) = (library.Name.Split('/')[0], library.Name.Split('/')[1]);
            var uri = PackageSubject.Name(id, NuGetVersion.Parse(version));
            Assert.IsTrue(dependencies.TryGetValue(uri, out var sha512), $"{uri} is missing from resolvedDependencies");
            Assert.AreEqual(Convert.ToHexStringLower(Convert.FromBase64String(library.Value.GetProperty("sha512").GetString()!)), sha512, uri);

            // Independently: NuGet's content hash of the .nupkg restore extracted (the file's SHA-512 when unsigned,
            // without the repository signature when signed), computed by our own package inspector.
            var nupkg = Path.Combine(packageFolder, library.Value.GetProperty("path").GetString()!, $"{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg");
            if (File.Exists(nupkg))
            {
                PackageInspection inspection;
                try
                {
                    inspection = PackageInspector.Inspect(nupkg);
                }
                catch (SigstoreException)
                {
                    continue; // a package our strict archive rules refuse; its digest is still checked against the assets file above
                }

                Assert.AreEqual(Convert.ToHexStringLower(inspection.ContentHashSha512), sha512, nupkg);
                checkedAgainstFile++;
            }
        }

        Assert.IsGreaterThan(10, expected, "a real test project restores many packages");
        Assert.AreEqual(expected, dependencies.Count, "exactly the packages of the assets file");
        Assert.IsGreaterThan(0, checkedAgainstFile, "at least one digest is checked against the .nupkg itself");
    }

    [TestMethod]
    public void AssetsFile_PackagesOfEveryTargetFramework_WithTheirFrameworks()
    {
        var hashA = Convert.ToBase64String(Enumerable.Repeat((byte)1, 64).ToArray());
        var hashB = Convert.ToBase64String(Enumerable.Repeat((byte)2, 64).ToArray());
        var json = $$"""
            {
              "version": 3,
              "targets": {
                "net8.0": { "A/1.0.0": { "type": "package" }, "Lib/1.0.0": { "type": "project" } },
                "net8.0/linux-x64": { "A/1.0.0": { "type": "package" }, "runtime.linux-x64.B/2.0.0-beta.1": { "type": "package" } },
                "net10.0": { "A/1.0.0": { "type": "package" } }
              },
              "libraries": {
                "A/1.0.0": { "sha512": "{{hashA}}", "type": "package", "path": "a/1.0.0" },
                "runtime.linux-x64.B/2.0.0-beta.1": { "sha512": "{{hashB}}", "type": "package", "path": "runtime.linux-x64.b/2.0.0-beta.1" },
                "Lib/1.0.0": { "type": "project", "path": "../Lib/Lib.csproj" }
              }
            }
            """;
        var path = Path.Combine(Directory.CreateTempSubdirectory("ssb-prov-").FullName, "project.assets.json");
        File.WriteAllText(path, json);

        var dependencies = Predicate(Inputs(path), new Dictionary<string, string>(), out _)["buildDefinition"]!["resolvedDependencies"]!.AsArray();
        Assert.HasCount(2, dependencies, "the project reference is not a package");
        Assert.AreEqual("pkg:nuget/A@1.0.0", (string?)dependencies[0]!["uri"]);
        Assert.AreEqual(string.Concat(Enumerable.Repeat("01", 64)), (string?)dependencies[0]!["digest"]!["sha512"]);
        Assert.AreEqual("net10.0,net8.0", string.Join(",", dependencies[0]!["annotations"]!["targetFrameworks"]!.AsArray().Select(f => (string?)f)));
        Assert.AreEqual("pkg:nuget/runtime.linux-x64.B@2.0.0-beta.1", (string?)dependencies[1]!["uri"]);
        Assert.AreEqual("net8.0", string.Join(",", dependencies[1]!["annotations"]!["targetFrameworks"]!.AsArray().Select(f => (string?)f)));
    }

    [TestMethod]
    [DataRow("not base64!")]
    [DataRow("AQID")]
    public void AssetsFile_BadSha512_IsSSB0421(string sha512)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("ssb-prov-").FullName, "project.assets.json");
        File.WriteAllText(path, $$"""{ "libraries": { "A/1.0.0": { "sha512": "{{sha512}}", "type": "package" } } }""");
        var ex = Assert.Throws<SigstoreException>(() => Predicate(Inputs(path), new Dictionary<string, string>(), out _));
        Assert.AreEqual(ProvenanceCodes.AssetsFileUnusable, ex.Code);
    }

    [TestMethod]
    public void MissingAssetsFile_IsSSB0421()
    {
        var ex = Assert.Throws<SigstoreException>(() => Predicate(Inputs(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "project.assets.json")), new Dictionary<string, string>(), out _));
        Assert.AreEqual(ProvenanceCodes.AssetsFileUnusable, ex.Code);
    }

    [TestMethod]
    public void Inputs_RoundTripThroughTheirFile()
    {
        var inputs = Inputs("/tmp/obj/project.assets.json") with { RepositoryUrl = "https://example.com/r", RepositoryCommit = Commit, BuilderId = "https://example.com/b", IncludeAssemblies = true };
        var path = Path.Combine(Directory.CreateTempSubdirectory("ssb-prov-").FullName, "inputs.json");
        File.WriteAllBytes(path, inputs.ToJson());
        var read = ProvenanceInputs.Load(path);
        Assert.AreEqual(Encoding.UTF8.GetString(inputs.ToJson()), Encoding.UTF8.GetString(read.ToJson()));
        Assert.AreEqual(Started, read.StartedOn);
        Assert.IsTrue(read.IncludeAssemblies);

        File.WriteAllText(path, "{ not json");
        Assert.AreEqual(ProvenanceCodes.InputsUnreadable, Assert.Throws<SigstoreException>(() => ProvenanceInputs.Load(path)).Code);
    }

    [TestMethod]
    public void SchemaChecks_RejectWhatTheSchemasForbid()
    {
        var good = Statement(Predicate(Inputs() with { RepositoryUrl = "https://example.com/r", RepositoryCommit = Commit }, GitHubEnvironment(), out _));
        Assert.IsEmpty(SlsaSchema.Validate(good));

        (string What, Action<JsonObject> Break)[] cases =
        [
            ("_type", s => s["_type"] = "https://in-toto.io/Statement/v0.1"),
            ("subject", s => s["subject"] = new JsonArray()),
            ("digest", s => s["subject"]![0]!["digest"]!["sha256"] = new string('A', 64)),
            ("digest", s => s["subject"]![0]!["digest"]!["sha512"] = new string('b', 127)),
            ("buildType", s => s["predicate"]!["buildDefinition"]!.AsObject().Remove("buildType")),
            ("externalParameters", s => s["predicate"]!["buildDefinition"]!["externalParameters"] = "x"),
            ("builder.id", s => s["predicate"]!["runDetails"]!["builder"]!.AsObject().Remove("id")),
            ("builder.id", s => s["predicate"]!["runDetails"]!["builder"]!["id"] = "not a uri"),
            ("finishedOn", s => s["predicate"]!["runDetails"]!["metadata"]!["finishedOn"] = "2026-01-02 03:04:05"),
            ("ResourceDescriptor", s => s["predicate"]!["buildDefinition"]!["resolvedDependencies"]!.AsArray().Add(new JsonObject { ["name"] = "x" })),
            ("gitCommit", s => s["predicate"]!["buildDefinition"]!["resolvedDependencies"]![0]!["digest"]!["gitCommit"] = "abc"),
        ];
        foreach (var (what, change) in cases)
        {
            var broken = good.DeepClone().AsObject();
            change(broken);
            Assert.IsNotEmpty(SlsaSchema.Validate(broken), $"the schema check must reject a broken {what}");
        }
    }

    [TestMethod]
    public void PackageAssemblies_AreExtraSubjects_AfterThePackage()
    {
        var directory = Directory.CreateTempSubdirectory("ssb-prov-").FullName;
        var package = Path.Combine(directory, "p.nupkg");
        using (var zip = System.IO.Compression.ZipFile.Open(package, System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var writer = new StreamWriter(zip.CreateEntry("lib/net8.0/Contoso.Greetings.dll").Open()))
            {
                writer.Write("assembly bytes");
            }

            using (var writer = new StreamWriter(zip.CreateEntry("readme.md").Open()))
            {
                writer.Write("not an assembly");
            }
        }

        var subject = new InTotoSubject("pkg:nuget/Contoso.Greetings@1.0.0", new Dictionary<string, string> { ["sha256"] = new string('a', 64) });
        var statement = PackageAssemblies.AddTo(new InTotoStatement([subject], SlsaProvenance.PredicateType, null), package, subject.Name);
        Assert.HasCount(2, statement.Subjects);
        Assert.AreEqual(subject.Name, statement.Subjects[0].Name, "the package stays the first subject, the one the signature is bound to");
        Assert.AreEqual("pkg:nuget/Contoso.Greetings@1.0.0#lib/net8.0/Contoso.Greetings.dll", statement.Subjects[1].Name);
        Assert.AreEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("assembly bytes"u8)), statement.Subjects[1].Digest["sha256"]);
        Assert.IsFalse(PackageSubject.Matches(statement.Subjects[1].Name, "Contoso.Greetings", NuGetVersion.Parse("1.0.0")), "an assembly subject never passes for the package");
    }

    [TestMethod]
    public void ProvenanceCodes_AreInRangeAndDocumented()
    {
        var docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "diagnostics", "packaging.md"));
        foreach (var field in typeof(ProvenanceCodes).GetFields().Where(f => f.IsLiteral))
        {
            var code = (string)field.GetRawConstantValue()!;
            Assert.IsTrue(System.Text.RegularExpressions.Regex.IsMatch(code, "^SSB0(4|9)[0-9]{2}$"), code);
            Assert.Contains($"| {code} |", docs, $"{code} is not documented");
        }

        var verification = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "diagnostics", "verification.md"));
        foreach (var code in new[] { AttestationCodes.ProvenanceNotCheckable, AttestationCodes.ProvenanceBuilderMismatch, AttestationCodes.ProvenanceSourceMismatch, AttestationCodes.ProvenanceInvocationMismatch, AttestationCodes.ProvenanceUncorroborated })
        {
            Assert.Contains($"| {code} |", verification, $"{code} is not documented");
        }
    }

    private static string RepoRoot() =>
        typeof(ProvenanceBuilderTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
}
