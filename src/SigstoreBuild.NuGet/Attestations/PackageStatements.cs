using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;

namespace SigstoreBuild.NuGet.Attestations;

/// <summary>Builds the in-toto statements SigstoreBuild signs for packages and for publish outputs.</summary>
public static class PackageStatements
{
    public const string SlsaProvenanceV1 = "https://slsa.dev/provenance/v1";

    /// <summary>
    /// The build type of the minimal predicate (SigstoreProvenance=false): SigstoreBuild's v1 build type with only the
    /// step, project, configuration and target frameworks (docs/provenance.md).
    /// </summary>
    public const string MinimalBuildType = Provenance.SlsaProvenance.BuildTypeV1;

    /// <summary>
    /// A package subject: <c>pkg:nuget/id@version</c> with the package digest as its <c>sha256</c>
    /// (<see cref="PackageInspection.PackageDigest"/>): a package cannot carry the digest of its own file, and this one
    /// survives embedding the bundle, NuGet author and repository signing, and a feed rewriting the zip (N-01).
    /// </summary>
    public static InTotoSubject ForPackage(PackageInspection package)
    {
        ArgumentNullException.ThrowIfNull(package);
        return new InTotoSubject(package.SubjectName, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["sha256"] = Convert.ToHexStringLower(package.PackageDigest),
        });
    }

    /// <summary>One statement for one or more packages (a .nupkg and its .snupkg are separate subjects).</summary>
    public static InTotoStatement ForPackages(IEnumerable<PackageInspection> packages, SlsaBuildContext context, JsonObject? predicate = null)
    {
        var subjects = packages.Select(ForPackage).ToList();
        if (subjects.Count == 0)
        {
            throw new ArgumentException("At least one package is needed.", nameof(packages));
        }

        return new InTotoStatement(subjects, SlsaProvenanceV1, predicate ?? MinimalPredicate(context));
    }

    /// <summary>
    /// One statement for a publish folder: one subject per file, named by its path relative to the folder with '/'
    /// separators, in ordinal order so the statement is reproducible.
    /// </summary>
    public static InTotoStatement ForPublishOutput(string publishDirectory, IEnumerable<string> files, SlsaBuildContext context, JsonObject? predicate = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(publishDirectory);
        var root = Path.GetFullPath(publishDirectory);
        var subjects = new List<InTotoSubject>();
        foreach (var file in files.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            {
                throw new ArgumentException($"'{file}' is not inside the publish folder '{root}'.", nameof(files));
            }

            subjects.Add(FileSubject(relative, file));
        }

        if (subjects.Count == 0)
        {
            throw new ArgumentException("The publish folder has no files to attest.", nameof(files));
        }

        subjects.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new InTotoStatement(subjects, SlsaProvenanceV1, predicate ?? MinimalPredicate(context));
    }

    public static InTotoSubject FileSubject(string name, string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
        var sha256 = SHA256.HashData(stream);
        stream.Seek(0, SeekOrigin.Begin);
        var sha512 = SHA512.HashData(stream);
        return new InTotoSubject(name, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["sha256"] = Convert.ToHexStringLower(sha256),
            ["sha512"] = Convert.ToHexStringLower(sha512),
        });
    }

    /// <summary>A minimal, schema-valid SLSA v1 predicate: build type, external parameters and builder id.</summary>
    public static JsonObject MinimalPredicate(SlsaBuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var external = new JsonObject
        {
            ["step"] = context.Step,
            ["project"] = context.Project,
        };
        if (!string.IsNullOrEmpty(context.Configuration))
        {
            external["configuration"] = context.Configuration;
        }

        if (context.TargetFrameworks.Count > 0)
        {
            external["targetFrameworks"] = new JsonArray(context.TargetFrameworks.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
        }

        var runDetails = new JsonObject { ["builder"] = new JsonObject { ["id"] = context.BuilderId } };
        if (!string.IsNullOrEmpty(context.InvocationId))
        {
            runDetails["metadata"] = new JsonObject { ["invocationId"] = context.InvocationId };
        }

        return new JsonObject
        {
            ["buildDefinition"] = new JsonObject
            {
                ["buildType"] = MinimalBuildType,
                ["externalParameters"] = external,
            },
            ["runDetails"] = runDetails,
        };
    }
}
