using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Cli.Diagnostics;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.Verification;

namespace SigstoreBuild.Cli.Commands;

/// <summary>
/// <c>sigstore verify DIR --bundle B</c>: a publish output folder against the one bundle <c>dotnet publish</c> signing
/// writes for it. The bundle is verified once by the Core verifier; then every subject of its (verified) in-toto statement
/// must be a file in the folder, by path relative to it and by digest, and with <c>--exact</c> the folder may hold nothing
/// else. Every problem is reported, each naming its file.
/// </summary>
internal static class VerifyFolder
{
    public static async Task<int> RunAsync(VerifyRequest request, string folder, bool exact, bool json, CliConsole console, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(folder);
        var bundle = BundleSerializer.Load(request.BundlePath);
        var listed = ReadUnverifiedStatement(bundle, request.BundlePath);

        // The verifier checks the signature over the whole statement and that this digest is one of its subjects; the
        // files are then compared with the verified statement only, never with what was parsed above.
        var anchor = listed.Subjects[0].Digest.TryGetValue("sha256", out var sha256) ? "sha256:" + sha256
            : listed.Subjects[0].Digest.TryGetValue("sha512", out var sha512) ? "sha512:" + sha512
            : throw new SigstoreException(CliCodes.FolderNeedsAttestation, $"The first file the bundle '{request.BundlePath}' lists, '{listed.Subjects[0].Name}', has no sha256 or sha512 digest, so the folder cannot be checked against it.");
        var result = await VerifyRunner.RunAsync(request with { Subject = anchor }, console, cancellationToken).ConfigureAwait(false);
        var statement = result.InTotoStatement
            ?? throw new SigstoreException(CliCodes.FolderNeedsAttestation, $"The bundle '{request.BundlePath}' is not an in-toto attestation, so it lists no files. Verify each file on its own with 'sigstore verify FILE --bundle BUNDLE'.");

        var problems = new List<(string Code, string Message)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var subject in statement.Subjects)
        {
            names.Add(subject.Name);
            if (Check(root, subject) is { } problem)
            {
                problems.Add(problem);
            }
        }

        var checkedCount = names.Count;
        if (exact)
        {
            var bundlePath = Path.GetFullPath(request.BundlePath);
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
                if (!names.Contains(relative) && !string.Equals(file, bundlePath, StringComparison.Ordinal))
                {
                    problems.Add((CliCodes.FolderFileUnlisted, $"'{relative}' is in '{root}' but the bundle does not list it. Remove it, or leave out --exact to allow files the bundle does not cover."));
                }
            }
        }

        if (problems.Count > 0)
        {
            foreach (var (code, message) in problems)
            {
                console.Error(code, message);
            }

            return SigstoreCommand.Failure;
        }

        if (json)
        {
            var report = new JsonObject
            {
                ["folder"] = root,
                ["filesChecked"] = checkedCount,
                ["exact"] = exact,
                ["files"] = new JsonArray(names.Order(StringComparer.Ordinal).Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["verification"] = JsonNode.Parse(result.ToJson()),
            };
            console.Out.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            var scope = exact ? ", and nothing else is in it" : string.Empty;
            console.Out.WriteLine($"Verified OK: {checkedCount} file{(checkedCount == 1 ? "" : "s")} in {root} match the bundle{scope}; {result.Summary()}");
        }

        return SigstoreCommand.Success;
    }

    /// <summary>The statement as the bundle carries it, only to choose a digest for the verifier.</summary>
    private static InTotoStatement ReadUnverifiedStatement(Bundle bundle, string bundlePath)
    {
        if (bundle.DsseEnvelope?.Payload is not { } payload)
        {
            throw new SigstoreException(CliCodes.FolderNeedsAttestation, $"The bundle '{bundlePath}' signs one file, not a folder: it is not an in-toto attestation listing files. Verify that file with 'sigstore verify FILE --bundle BUNDLE'.");
        }

        try
        {
            var statement = InTotoStatement.Parse(payload);
            return statement.Subjects.Count > 0 ? statement
                : throw new SigstoreException(CliCodes.FolderNeedsAttestation, $"The attestation in '{bundlePath}' lists no files.");
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidOperationException)
        {
            throw new SigstoreException(CliCodes.FolderNeedsAttestation, $"The bundle '{bundlePath}' does not carry an in-toto statement listing files: {ex.Message}");
        }
    }

    private static (string Code, string Message)? Check(string root, InTotoSubject subject)
    {
        var name = subject.Name;
        var segments = name.Split('/');
        var full = Path.GetFullPath(Path.Combine(root, name));
        if (name.Length == 0 || Path.IsPathRooted(name) || name.Contains('\\', StringComparison.Ordinal)
            || segments.Any(s => s is "" or "." or "..") || !full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return (CliCodes.FolderSubjectInvalid, $"The bundle lists '{name}', which is not a path inside the folder (it must be relative, with '/' separators and no '.' or '..' parts). This bundle was not made for a publish folder; verify its files one by one with 'sigstore verify FILE --bundle BUNDLE'.");
        }

        if (!File.Exists(full))
        {
            return (CliCodes.FolderFileMissing, $"'{name}' is listed in the bundle but is not in '{root}'. Check that this is the folder the bundle was made for, or publish and sign again.");
        }

        var checkedAny = false;
        foreach (var (algorithm, expected) in subject.Digest)
        {
            if (Hash(algorithm, full) is not { } actual)
            {
                continue;
            }

            checkedAny = true;
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                return (CliCodes.FolderFileMismatch, $"'{name}' in '{root}' is not the file that was signed ({algorithm} {actual}, the bundle lists {expected}). It changed after signing: restore it from the signed output, or publish and sign again.");
            }
        }

        return checkedAny ? null
            : (CliCodes.FolderSubjectInvalid, $"The bundle lists '{name}' with no sha256, sha384 or sha512 digest, so it cannot be checked. Ask the signer to include a sha256 digest.");
    }

    private static string? Hash(string algorithm, string path)
    {
        using HashAlgorithm? hash = algorithm switch
        {
            "sha256" => SHA256.Create(),
            "sha384" => SHA384.Create(),
            "sha512" => SHA512.Create(),
            _ => null,
        };
        if (hash is null)
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(hash.ComputeHash(stream));
    }
}
