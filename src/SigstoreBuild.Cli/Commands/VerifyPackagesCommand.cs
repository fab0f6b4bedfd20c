using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SigstoreBuild.Cli.Diagnostics;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Restore;
using SigstoreBuild.Tuf;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// <c>sigstore verify-packages --project X.csproj | --assets FILE</c> and <c>sigstore lock update</c>: the restore-time
/// dependency verification outside a build, reading the same MSBuild policy items (through <c>dotnet msbuild
/// -getItem</c>) or a JSON policy file.
/// </summary>
public static class VerifyPackagesCommand
{
    /// <summary>The trust settings come from the project's properties: SSB5116 names the property.</summary>
    private static readonly TrustSettingNames ProjectTrustNames = TrustSettingNames.MSBuild(RestoreCodes.TrustConfigurationInvalid, RestoreCodes.TrustConfigurationInvalid);

    /// <summary>Trust options on the command line: SSB5116 names the option.</summary>
    private static readonly TrustSettingNames OptionTrustNames = TrustSettingNames.CommandLine with { InvalidCode = RestoreCodes.TrustConfigurationInvalid, MissingFileCode = RestoreCodes.TrustConfigurationInvalid };

    public static Command Create(CliConsole console) => Build(console, "verify-packages", "Verify every package of a project's restore against the Sigstore trust policy.", lockUpdate: false);

    /// <summary><c>sigstore lock update</c>: verify and record the current signers in sigstore.lock.json, accepting changes.</summary>
    public static Command CreateLock(CliConsole console)
    {
        var lockCommand = new Command("lock", "Manage sigstore.lock.json, the signer first seen for each package ID.");
        lockCommand.Subcommands.Add(Build(console, "update", "Verify the packages and record their current signers in sigstore.lock.json, accepting changed signers.", lockUpdate: true));
        return lockCommand;
    }

    private static Command Build(CliConsole console, string name, string description, bool lockUpdate)
    {
        var project = new Option<FileInfo>("--project") { Description = "The project file, or its folder (default: the one project file in the current directory, as dotnet build finds it); its policy items and properties are read with dotnet msbuild." };
        var assets = new Option<FileInfo>("--assets") { Description = "A project.assets.json to verify (with --policy)." };
        var policy = new Option<FileInfo>("--policy") { Description = "A JSON trust policy file (merged with the project's items)." };
        var mode = new Option<string>("--mode") { Description = "off, audit or enforce (default: the project's SigstoreVerifyPackages, else enforce)." };
        var lockFile = new Option<FileInfo>("--lock-file") { Description = "sigstore.lock.json (default: beside the project, or the project's SigstoreLockFile)." };
        var noLock = new Option<bool>("--no-lock") { Description = "Keep no lock file." };
        var locked = new Option<bool>("--locked-mode") { Description = "Fail on signed packages missing from the lock instead of adding them." };
        var bundleDirs = new Option<DirectoryInfo[]>("--bundle-dir") { Description = "Bundle directories to search (repeatable).", AllowMultipleArgumentsPerToken = false };
        var attestationUrl = new Option<string>("--attestation-url") { Description = "An attestation URL template ({id}, {version}, {lowerId}, {lowerVersion}, {sha512})." };
        var github = new Option<bool>("--github") { Description = "Ask GitHub's attestation API by digest (token from GITHUB_TOKEN)." };
        var revocations = new Option<string[]>("--revocations")
        {
            Description = "A revocation document (docs/revocation.md), added to the project's SigstoreRevocations items: a file (applies to every package) or the http(s) URL of a published, signed one (applies where the policy trusts its signer). Repeatable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var trustOptions = TrustOptions.Create();
        var output = OutputOption.Create();
        var command = new Command(name, description) { project, assets, policy, mode, lockFile, noLock, locked, bundleDirs, attestationUrl, github, revocations };
        trustOptions.AddTo(command);
        output.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(project) is not null && result.GetValue(assets) is not null)
            {
                result.AddError("Give --project or --assets, not both.");
            }
        });

        command.SetAction(async (parse, ct) =>
        {
            var projectPath = parse.GetValue(assets) is null ? ProjectFinder.Find(parse.GetValue(project)?.FullName ?? Environment.CurrentDirectory) : null;
            var fromProject = projectPath is null ? null : await ProjectPolicy.ReadAsync(projectPath, ct).ConfigureAwait(false);
            if (fromProject?.AssetsFile is { } projectAssets && !File.Exists(projectAssets))
            {
                // Never restored, or a failed verification moved the assets file aside (R-03): restore loads no package
                // targets, so it is safe to run before verifying.
                console.Info($"Restoring {Path.GetFileName(fromProject.ProjectPath)} (no {Path.GetFileName(projectAssets)} yet)...");
                await ProjectPolicy.RunDotnetAsync(fromProject.ProjectPath, ["restore", fromProject.ProjectPath, "-nologo", "-v:q"], RestoreCodes.AssetsFileInvalid, ct).ConfigureAwait(false);
            }

            var assetsPath = parse.GetValue(assets)?.FullName ?? fromProject!.AssetsFile
                ?? throw new SigstoreException(RestoreCodes.AssetsFileInvalid, "The project has no ProjectAssetsFile. Run 'dotnet restore' first.");
            var lockPath = parse.GetValue(noLock) ? null
                : parse.GetValue(lockFile)?.FullName ?? fromProject?.Property("SigstoreLockFile")
                    ?? Path.Combine(fromProject is null ? Environment.CurrentDirectory : Path.GetDirectoryName(fromProject.ProjectPath)!, SigstoreLockFile.DefaultFileName);
            var request = new RestoreRunRequest
            {
                AssetsFilePath = assetsPath,
                ProjectFileName = fromProject is null ? null : Path.GetFileName(fromProject.ProjectPath),
                Mode = parse.GetValue(mode) ?? fromProject?.Property("SigstoreVerifyPackages") ?? "enforce",
                TrustedIdentities = fromProject?.Items("SigstoreTrustedIdentity") ?? [],
                TrustedKeys = fromProject?.Items("SigstoreTrustedKey") ?? [],
                PolicyBaseDirectory = fromProject is null ? null : Path.GetDirectoryName(fromProject.ProjectPath),
                UnsignedAllowed = fromProject?.Items("SigstoreUnsignedAllowed") ?? [],
                Suppressions = fromProject?.Items("SigstoreVerifySuppress") ?? [],
                Revocations = [.. fromProject?.Items("SigstoreRevocations") ?? [], .. (parse.GetValue(revocations) ?? []).Select(r => new PolicyItem(PublishedRevocationList.IsUrl(r) ? r : Path.GetFullPath(r), new Dictionary<string, string>()))],
                RevocationFreshness = RestoreRunRequest.ParseRevocationFreshness(fromProject?.Property("SigstoreRevocationFreshness")),
                PolicyFile = parse.GetValue(policy)?.FullName ?? fromProject?.Property("SigstoreTrustPolicyFile"),
                LockFile = lockPath,
                LockUpdate = lockUpdate,
                LockedMode = parse.GetValue(locked),
                Rehash = true,
                BundleDirectories = (parse.GetValue(bundleDirs) ?? []).Select(d => d.FullName).Concat(fromProject?.Items("SigstoreBundleDirectory").Select(i => i.Include) ?? []).ToList(),
                AttestationUrlTemplate = parse.GetValue(attestationUrl) ?? fromProject?.Property("SigstoreAttestationUrl"),
                GitHubAttestations = parse.GetValue(github),
                GitHubToken = Environment.GetEnvironmentVariable("GITHUB_TOKEN"),
                StepSummaryPath = Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary ? summary : null,
                InvalidateOnFailure = fromProject is not null,
            };
            // Trust options, when given, replace the project's trust properties as a whole: mixing the two could pair a
            // trusted root from one with a mirror from the other.
            var fromOptions = fromProject is null || trustOptions.AnyGiven(parse);
            var trust = fromOptions ? trustOptions.Read(parse) : new TrustSettings
            {
                Instance = fromProject!.Property("SigstoreInstance"),
                TrustedRootPath = fromProject.Property("SigstoreTrustedRootPath"),
                TufUrl = fromProject.Property("SigstoreTufUrl"),
                TufRootPath = fromProject.Property("SigstoreTufRootPath"),
                CacheDirectory = fromProject.Property("SigstoreTufCachePath"),
                Offline = string.Equals(fromProject.Property("SigstoreOffline"), "true", StringComparison.OrdinalIgnoreCase),
            };
            TrustRootPackageSignatureVerifier? verifier = null;
            var result = await RestoreRun.ExecuteAsync(request, () => verifier = TrustRootPackageSignatureVerifier.Create(trust.ToConfiguration(fromOptions ? OptionTrustNames : ProjectTrustNames)), http: null, ct).ConfigureAwait(false);
            foreach (var warning in verifier?.Warnings ?? [])
            {
                console.Warning(warning.Code, warning.Message);
            }

            foreach (var diagnostic in result.Diagnostics.Where(d => !d.Suppressed))
            {
                if (diagnostic.Severity == DiagnosticSeverity.Error)
                {
                    console.Error(diagnostic.Code, diagnostic.Message);
                }
                else if (diagnostic.Severity == DiagnosticSeverity.Warning)
                {
                    console.Warning(diagnostic.Code, diagnostic.Message);
                }
            }

            if (output.IsJson(parse))
            {
                console.Out.WriteLine(RestoreReport.ToJson(result, request.ProjectFileName ?? assetsPath));
            }
            else
            {
                console.Out.WriteLine(result.Summary);
            }

            return result.Succeeded ? SigstoreCommand.Success : SigstoreCommand.Failure;
        });
        return command;
    }
}

/// <summary>The project a verb works on when none is named: the one project file in a folder, as <c>dotnet build</c> finds it.</summary>
internal static class ProjectFinder
{
    /// <summary><paramref name="path"/> is a project file (returned as is) or a folder holding exactly one.</summary>
    public static string Find(string path)
    {
        if (!Directory.Exists(path))
        {
            return path;
        }

        var candidates = Directory.EnumerateFiles(path, "*.*proj").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        return candidates.Count switch
        {
            1 => Path.Combine(path, candidates[0]!),
            0 => throw new SigstoreException(CliCodes.ProjectNotFound, $"There is no project file in '{path}'. Run the command in the project's folder, or name the project with --project PATH/TO/App.csproj."),
            _ => throw new SigstoreException(CliCodes.ProjectAmbiguous, $"'{path}' holds {candidates.Count} project files ({string.Join(", ", candidates)}). Name one with --project, such as --project {candidates[0]}."),
        };
    }
}

/// <summary>A project's policy items and properties, read with <c>dotnet msbuild -getItem/-getProperty</c> (JSON output).</summary>
internal sealed class ProjectPolicy(string projectPath, JsonElement root)
{
    private static readonly string[] PropertyNames = ["ProjectAssetsFile", "SigstoreVerifyPackages", "SigstoreLockFile", "SigstoreTrustPolicyFile", "SigstoreAttestationUrl", "SigstoreTrustedRootPath", "SigstoreInstance", "SigstoreTufUrl", "SigstoreTufRootPath", "SigstoreTufCachePath", "SigstoreOffline", "SigstoreRevocationFreshness"];
    private static readonly string[] ItemNames = ["SigstoreTrustedIdentity", "SigstoreTrustedKey", "SigstoreUnsignedAllowed", "SigstoreVerifySuppress", "SigstoreBundleDirectory", "SigstoreRevocations"];

    public string ProjectPath { get; } = projectPath;

    public string? AssetsFile => Property("ProjectAssetsFile");

    public string? Property(string name) =>
        root.TryGetProperty("Properties", out var properties) && properties.TryGetProperty(name, out var value) && value.GetString() is { Length: > 0 } text ? text : null;

    public IReadOnlyList<PolicyItem> Items(string name)
    {
        if (!root.TryGetProperty("Items", out var items) || !items.TryGetProperty(name, out var list))
        {
            return [];
        }

        return list.EnumerateArray().Select(item =>
        {
            var metadata = item.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.OrdinalIgnoreCase);
            return new PolicyItem(metadata.GetValueOrDefault("Identity") ?? string.Empty, metadata);
        }).ToList();
    }

    public static async Task<ProjectPolicy> ReadAsync(string projectPath, CancellationToken cancellationToken)
    {
        var output = await RunDotnetAsync(projectPath, ["msbuild", projectPath, "-nologo", .. PropertyNames.Select(p => "-getProperty:" + p), .. ItemNames.Select(i => "-getItem:" + i)], RestoreCodes.PolicyInvalid, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(output);
        return new ProjectPolicy(projectPath, document.RootElement.Clone());
    }

    /// <summary>Runs dotnet in the project's folder; returns standard output, or throws <paramref name="failureCode"/>.</summary>
    public static async Task<string> RunDotnetAsync(string projectPath, IEnumerable<string> arguments, string failureCode, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(projectPath)! };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new SigstoreException(failureCode, "Could not start 'dotnet'. Check that the .NET SDK is on PATH.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new SigstoreException(failureCode, $"'dotnet {start.ArgumentList[0]}' failed for '{projectPath}': {(await output.ConfigureAwait(false)).Trim()} {(await error.ConfigureAwait(false)).Trim()}");
        }

        return await output.ConfigureAwait(false);
    }
}
