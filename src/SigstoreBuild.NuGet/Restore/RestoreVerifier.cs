using System.Collections.Concurrent;
using SigstoreBuild.Attestations;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Sbom;

namespace SigstoreBuild.NuGet.Restore;

public enum DiagnosticSeverity
{
    Message,
    Warning,
    Error,
}

/// <summary>A coded finding. <see cref="PackageId"/> is null for findings about the configuration.</summary>
public sealed record RestoreDiagnostic(string Code, DiagnosticSeverity Severity, string? PackageId, string? Version, string Message, bool Suppressed = false)
{
    public override string ToString() => $"{Code}: {Message}";
}

public enum PackageStatus
{
    Verified,
    UnsignedAllowed,
    Failed,
}

/// <summary>The result for one package, with its evidence.</summary>
public sealed record PackageOutcome(string Id, string Version, PackageStatus Status, string? ContentHash, SignerIdentity? Signer, string? BundleLocation, string? Pattern, bool FromCache, string? Problem);

/// <summary>Everything one verification run found.</summary>
public sealed class RestoreVerificationResult
{
    public required IReadOnlyList<PackageOutcome> Packages { get; init; }

    public required IReadOnlyList<RestoreDiagnostic> Diagnostics { get; init; }

    public required VerificationMode Mode { get; init; }

    public int Verified => Packages.Count(p => p.Status == PackageStatus.Verified);

    public int Unsigned => Packages.Count(p => p.Status == PackageStatus.UnsignedAllowed);

    public int Failed => Packages.Count(p => p.Status == PackageStatus.Failed);

    /// <summary>False when an unsuppressed error was reported (only possible in enforce mode).</summary>
    public bool Succeeded => !Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error && !d.Suppressed);

    public string Summary => $"Sigstore dependency verification ({Mode.ToString().ToLowerInvariant()}): {Packages.Count} packages, {Verified} verified, {Unsigned} unsigned (allowed), {Failed} failed.";
}

/// <summary>Inputs of one verification run.</summary>
internal sealed class RestoreVerificationOptions
{
    public required string AssetsFilePath { get; init; }

    public required TrustPolicy Policy { get; init; }

    public VerificationMode Mode { get; init; } = VerificationMode.Enforce;

    /// <summary>sigstore.lock.json, or null to keep no lock.</summary>
    public string? LockFilePath { get; init; }

    /// <summary>Accept signer changes and unsigned-after-signed, rewriting the lock (a deliberate act).</summary>
    public bool LockUpdate { get; init; }

    /// <summary>Fail instead of adding new lock entries (CI).</summary>
    public bool LockedMode { get; init; }

    /// <summary>Re-hash every .nupkg and re-compare every extracted file, whatever the cache says.</summary>
    public bool Rehash { get; init; }

    /// <summary>Where the verification cache lives (obj/sigstore), or null for no cache.</summary>
    public string? CacheFilePath { get; init; }

    public IReadOnlyList<IBundleSource> Sources { get; init; } = [new EmbeddedBundleSource(), new SidecarBundleSource(), new PackageFolderCacheBundleSource()];

    /// <summary>Verifies bundles. Null only when no package has a bundle to verify (else SSB5114).</summary>
    public IPackageSignatureVerifier? Verifier { get; init; }

    /// <summary>Null: the strict inspection of the package library, reused by the signature check of the same run.</summary>
    public PackageContentHasher? ContentHasher { get; init; }

    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Findings about the configuration found before verification (published revocation sources), reported as errors.</summary>
    public IReadOnlyList<ConfigurationFinding> ConfigurationFindings { get; init; } = [];
}

/// <summary>
/// Verifies every package of a project's assets file against the trust policy: integrity of the package folder,
/// a bundle from the configured sources, the Sigstore verification of that bundle, the signer against the policy, and
/// the signer against the lock. Never fails open (P-06): a package without policy, without bundle (unless explicitly
/// allowed) or with a bundle that does not verify is an error in enforce mode.
/// </summary>
internal sealed class RestoreVerifier(RestoreVerificationOptions options)
{
    /// <summary>The verifier's code for a revoked signature (Core's PolicyCodes.Revoked).</summary>
    private const string RevokedSignature = "SSB3490";

    private readonly ConcurrentBag<RestoreDiagnostic> _diagnostics = [];
    private readonly object _lockGate = new();

    public async Task<RestoreVerificationResult> VerifyAsync(CancellationToken cancellationToken)
    {
        if (options.Mode == VerificationMode.Off)
        {
            return new RestoreVerificationResult { Packages = [], Diagnostics = [], Mode = options.Mode };
        }

        var assetsBytes = AssetsFile.ReadBytes(options.AssetsFilePath);
        var indexPath = options.CacheFilePath is null ? null : CacheIndex.PathBeside(options.CacheFilePath);
        foreach (var finding in options.ConfigurationFindings)
        {
            Report(finding.Code, null, null, finding.Message, isWarning: false);
        }

        // A configuration finding must be reported every run, so no run-level shortcut then.
        if (indexPath is not null && !options.Rehash && !options.LockUpdate && options.ConfigurationFindings.Count == 0
            && CacheIndex.TryMatch(indexPath, CacheIndex.RunKey(assetsBytes, options), PeekTrustRootFingerprint) is { } hits)
        {
            return new RestoreVerificationResult { Packages = hits, Diagnostics = [], Mode = options.Mode };
        }

        var assets = AssetsFile.Parse(assetsBytes, options.AssetsFilePath);
        foreach (var identity in options.Policy.Identities.Where(i => i.IsRegexWithoutRef))
        {
            Report(RestoreCodes.RegexWithoutRef, null, null, $"The SubjectRegex '{identity.SubjectRegex}' for '{identity.Packages}' names no ref ('@refs/...'), so a signature from any branch, tag or pull request of that workflow is trusted. Pin the ref in the regex, or use Subject with the exact SAN.", isWarning: true);
        }

        foreach (var identity in options.Policy.Identities.Where(i => i.UnsafeAllowUncorroboratedProvenance))
        {
            Report(RestoreCodes.UnsafeUncorroboratedProvenance, null, null, $"The trusted identity '{identity}' sets UnsafeAllowUncorroboratedProvenance: a package it signs passes RequireProvenanceConsistency even when its certificate corroborates nothing of the provenance (e.g. an email identity). Remove it once the signer builds in CI.", isWarning: true);
        }

        var lockFile = options.LockFilePath is null ? null : SigstoreLockFile.Load(options.LockFilePath);
        var cache = VerificationCache.Load(options.CacheFilePath);
        var usedDirectories = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var usedKeys = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var outcomes = new PackageOutcome[assets.Packages.Count];
        var records = assets.Packages.Select(_ => new IndexRecord()).ToArray();

        await Parallel.ForEachAsync(
            Enumerable.Range(0, assets.Packages.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism), CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                outcomes[index] = await VerifyPackageAsync(assets, assets.Packages[index], lockFile, cache, usedDirectories, usedKeys, records[index], ct).ConfigureAwait(false);
            }).ConfigureAwait(false);

        if (options.CacheFilePath is not null)
        {
            cache.Retain(usedDirectories.Keys.ToHashSet(StringComparer.Ordinal), usedKeys.Keys.ToHashSet(StringComparer.Ordinal));
            cache.Save(options.CacheFilePath);
        }

        if (lockFile is not null && lockFile.IsChanged)
        {
            lockFile.Save(options.LockFilePath!);
        }

        if (indexPath is not null)
        {
            // After the lock is saved: the index keys on the lock as the next run will read it.
            var clean = _diagnostics.IsEmpty && options.Verifier is not TrustRootPackageSignatureVerifier { Warnings.Count: > 0 };
            var trustRoot = outcomes.Any(o => o.Signer is not null) ? options.Verifier?.TrustRootFingerprint : null;
            CacheIndex.WriteOrDelete(indexPath, CacheIndex.RunKey(assetsBytes, options), trustRoot, outcomes, records.Select(r => r.Eligible ? r.Stats : null).ToList(), clean);
        }

        var ordered = _diagnostics.OrderBy(d => d.PackageId ?? string.Empty, StringComparer.OrdinalIgnoreCase).ThenBy(d => d.Code, StringComparer.Ordinal).ToList();
        return new RestoreVerificationResult { Packages = outcomes, Diagnostics = ordered, Mode = options.Mode };
    }

    private async Task<PackageOutcome> VerifyPackageAsync(
        AssetsFile assets,
        AssetsPackage package,
        SigstoreLockFile? lockFile,
        VerificationCache cache,
        ConcurrentDictionary<string, bool> usedDirectories,
        ConcurrentDictionary<string, bool> usedKeys,
        IndexRecord record,
        CancellationToken cancellationToken)
    {
        PackageOutcome Fail(string code, string message, string? hash = null, SignerIdentity? signer = null, string? location = null, string? pattern = null)
        {
            Report(code, package.Id, package.Version, $"{package.Id} {package.Version}: {message}", isWarning: false);
            return new PackageOutcome(package.Id, package.Version, PackageStatus.Failed, hash, signer, location, pattern, false, message);
        }

        var decision = options.Policy.Decide(package.Id);
        if (!decision.HasPolicy)
        {
            return Fail(RestoreCodes.NoPolicy, "no SigstoreTrustedIdentity or SigstoreUnsignedAllowed entry matches this package ID. Add a trusted identity for it, or allow it unsigned explicitly with <SigstoreUnsignedAllowed Include=\"" + package.Id + "\" />.");
        }

        var (directory, nupkg) = Locate(assets, package);
        if (nupkg is null)
        {
            return Fail(RestoreCodes.PackageMissing, $"its .nupkg is not in any package folder ({string.Join(", ", assets.PackageFolders)}). Run 'dotnet restore --force' so NuGet downloads it again.", pattern: decision.Pattern);
        }

        usedDirectories[directory!] = true;
        var integrity = PackageIntegrity.Check(directory!, nupkg, package.Id, cache.GetFileState(directory!), options.Rehash, options.ContentHasher);
        if (integrity.Problem is not null)
        {
            cache.RemoveFileState(directory!);
            return Fail(integrity.Problem.Code, integrity.Problem.Message + $". Delete '{directory}' and restore again, and find out what changed it.", pattern: decision.Pattern);
        }

        cache.SetFileState(directory!, integrity.State!);
        record.Stats = integrity.Stats is null ? null : [.. integrity.Stats];
        var contentHash = integrity.ContentHash!;
        var hashText = Convert.ToBase64String(contentHash);
        var location = new PackageLocation(package.Id, package.Version, directory!, nupkg, contentHash) { Inspection = integrity.Inspection };
        LockEntry? locked;
        lock (_lockGate)
        {
            locked = lockFile?.Find(package.Id);
        }

        // Packages allowed unsigned are looked up only locally, unless the lock says they were signed before.
        var localOnly = decision.Identities.Count == 0 && locked is null;
        IReadOnlyList<BundleCandidate> bundles = [];
        foreach (var source in options.Sources)
        {
            if (localOnly && !source.IsLocal)
            {
                continue;
            }

            // Stat before reading, so a bundle replaced in between differs from what the index records.
            var probes = source.LocalProbes(location);
            if (probes is null)
            {
                record.Eligible = false;
            }
            else
            {
                record.Stats?.AddRange(probes.Select(CacheIndex.Stat));
            }

            try
            {
                bundles = await source.FindAsync(location, cancellationToken).ConfigureAwait(false);
            }
            catch (SigstoreException ex)
            {
                return Fail(ex.Code == RestoreCodes.SignatureInvalid ? ex.Code : RestoreCodes.SignatureInvalid, ex.Message, hashText, pattern: decision.Pattern);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or UnauthorizedAccessException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                Report(RestoreCodes.SourceUnavailable, package.Id, package.Version, $"{package.Id} {package.Version}: the {source.Name} bundle source failed ({ex.Message}); trying the next source.", isWarning: true);
                continue;
            }

            if (bundles.Count > 0)
            {
                break;
            }
        }

        if (bundles.Count == 0)
        {
            if (locked is not null)
            {
                if (!options.LockUpdate)
                {
                    return Fail(RestoreCodes.LockUnsignedAfterSigned, $"no bundle was found, but sigstore.lock.json records that this package ID was signed by {locked.Subject} (issuer {locked.Issuer}). If dropping the signature is expected, run 'sigstore lock update' or build with -p:SigstoreLockUpdate=true.", hashText, pattern: decision.Pattern);
                }

                lock (_lockGate)
                {
                    lockFile!.Remove(package.Id);
                }

                Report(RestoreCodes.LockUpdated, package.Id, package.Version, $"{package.Id} {package.Version}: removed from sigstore.lock.json (unsigned now; was signed by {locked.Subject}).", isWarning: true);
            }

            if (decision.UnsignedAllowed)
            {
                return new PackageOutcome(package.Id, package.Version, PackageStatus.UnsignedAllowed, hashText, null, null, decision.Pattern, false, null);
            }

            return Fail(RestoreCodes.Unsigned, $"no Sigstore bundle was found (looked in: {string.Join(", ", options.Sources.Select(s => s.Name))}), but '{decision.Pattern}' requires a signature by {string.Join(" or ", decision.Identities.Select(i => i.Subject ?? i.SubjectRegex))}. Ask the publisher to sign it with SigstoreBuild (the bundle then travels inside the .nupkg), or allow it unsigned explicitly with SigstoreUnsignedAllowed.", hashText, pattern: decision.Pattern);
        }

        if (options.Verifier is null)
        {
            return Fail(RestoreCodes.TrustRootUnavailable, "a bundle was found but no Sigstore verifier is configured. Set SigstoreTrustedRootPath or SigstoreInstance.", hashText, pattern: decision.Pattern);
        }

        string? firstProblem = null;
        string? firstProblemCode = null;
        foreach (var bundle in bundles)
        {
            string key;
            try
            {
                key = VerificationCache.Key(contentHash, bundle.Json, options.Policy.Hash, options.Verifier.TrustRootFingerprint);
            }
            catch (SigstoreException ex) when (ex.Code == RestoreCodes.TrustRootUnavailable)
            {
                return Fail(ex.Code, ex.Message, hashText, pattern: decision.Pattern);
            }

            var signer = cache.GetVerified(key);
            var fromCache = signer is not null;
            if (signer is null)
            {
                try
                {
                    signer = options.Verifier.Verify(location, bundle.Json, decision.Identities, options.Policy.RevocationsFor(decision));
                }
                catch (SigstoreException ex) when (ex.Code == RestoreCodes.TrustRootUnavailable)
                {
                    return Fail(ex.Code, ex.Message, hashText, pattern: decision.Pattern);
                }
                catch (UntrustedSignerException ex)
                {
                    // Not cached: the Sigstore verifier itself rejected this signer for this policy.
                    var mismatches = decision.Identities.Select(i => i.Mismatch(ex.Signer)).Where(m => m is not null).ToList();
                    firstProblem ??= mismatches.Count == decision.Identities.Count && mismatches.Count > 0
                        ? $"it is signed by {ex.Signer}, which '{decision.Pattern}' does not trust ({string.Join("; ", mismatches)}). If this signer is legitimate, add it as a SigstoreTrustedIdentity."
                        : ex.Message;
                    firstProblemCode ??= RestoreCodes.IdentityNotTrusted;
                    continue;
                }
                catch (SigstoreException ex) when (ex.Code == RestoreCodes.KeyNotTrusted)
                {
                    firstProblem ??= ex.Message;
                    firstProblemCode ??= ex.Code;
                    continue;
                }
                catch (SigstoreException ex) when (ex.Code is RevokedSignature or RestoreCodes.Revoked)
                {
                    firstProblem ??= $"its signature ({bundle.Location}) is revoked by the trust policy: {ex.Message}";
                    firstProblemCode ??= RestoreCodes.Revoked;
                    continue;
                }
                catch (SigstoreException ex)
                {
                    firstProblem ??= $"the bundle from {bundle.Location} does not verify: {ex.Code}: {ex.Message}";
                    firstProblemCode ??= RestoreCodes.SignatureInvalid;
                    continue;
                }
            }

            if (decision.Identities.Count > 0)
            {
                var mismatches = decision.Identities.Select(i => i.Mismatch(signer)).ToList();
                if (mismatches.All(m => m is not null))
                {
                    firstProblem ??= $"it is signed by {signer}, which '{decision.Pattern}' does not trust ({string.Join("; ", mismatches)}). If this signer is legitimate, add it as a SigstoreTrustedIdentity (or, for a key, a SigstoreTrustedKey).";
                    firstProblemCode ??= RestoreCodes.IdentityNotTrusted;
                    usedKeys[key] = true;
                    if (!fromCache)
                    {
                        cache.SetVerified(key, signer);
                    }

                    continue;
                }
            }

            usedKeys[key] = true;
            if (!fromCache)
            {
                cache.SetVerified(key, signer);
            }

            if (bundle.CacheInPackageFolder)
            {
                TryCacheBundle(location, bundle);
            }

            if (CheckSbom(location, decision, signer, cache, usedKeys) is { } sbomProblem)
            {
                return Fail(sbomProblem.Code, sbomProblem.Message, hashText, signer, bundle.Location, decision.Pattern);
            }

            var lockProblem = CheckLock(lockFile, package, signer);
            if (lockProblem is not null)
            {
                return Fail(lockProblem.Value.Code, lockProblem.Value.Message, hashText, signer, bundle.Location, decision.Pattern);
            }

            return new PackageOutcome(package.Id, package.Version, PackageStatus.Verified, hashText, signer, bundle.Location, decision.Pattern, fromCache, null);
        }

        return Fail(firstProblemCode!, firstProblem!, hashText, pattern: decision.Pattern);
    }

    /// <summary>
    /// RequireSbom: when every identity that accepts the signer requires it, the package must carry an SBOM attestation
    /// (CycloneDX or SPDX) over the same package digest that verifies for an identity trusted for the package.
    /// </summary>
    private (string Code, string Message)? CheckSbom(PackageLocation location, PolicyDecision decision, SignerIdentity signer, VerificationCache cache, ConcurrentDictionary<string, bool> usedKeys)
    {
        var accepting = decision.Identities.Where(i => i.Mismatch(signer) is null).ToList();
        if (accepting.Count == 0 || !accepting.All(i => i.RequireSbom))
        {
            return null;
        }

        var json = location.Inspection is { } inspection ? inspection.EmbeddedSbomBundle : EmbeddedBundle.ReadSbom(location.NupkgPath);
        if (json is null)
        {
            return (RestoreCodes.SbomMissing, $"'{decision.Pattern}' requires an SBOM attestation (RequireSbom), but the package carries none ({EmbeddedBundle.SbomEntryName}). Ask the publisher to pack with SigstoreBuild (SigstoreSbom is on by default), or remove RequireSbom from the trusted identity for this package ID.");
        }

        string predicateType;
        try
        {
            predicateType = InTotoStatement.Parse(BundleSerializer.Parse(json).DsseEnvelope?.Payload ?? []).PredicateType;
        }
        catch (SigstoreException ex)
        {
            return (RestoreCodes.SbomNotVerified, $"its SBOM attestation ({EmbeddedBundle.SbomEntryName}) cannot be read: {ex.Code}: {ex.Message}. Do not use the package; ask the publisher to pack it again.");
        }

        if (!SbomStatements.IsSbomPredicateType(predicateType))
        {
            return (RestoreCodes.SbomMissing, $"'{decision.Pattern}' requires an SBOM attestation (RequireSbom), but {EmbeddedBundle.SbomEntryName} attests '{predicateType}', not {SbomStatements.CycloneDxPredicateType} or {SbomStatements.SpdxPredicateType}. Ask the publisher to pack it again with SigstoreBuild.");
        }

        var signers = decision.Identities.Select(i => i.SignerOnly()).ToList();
        var key = VerificationCache.Key(location.ContentHash, json, options.Policy.Hash, options.Verifier!.TrustRootFingerprint);
        var sbomSigner = cache.GetVerified(key);
        if (sbomSigner is null)
        {
            try
            {
                sbomSigner = options.Verifier.Verify(location, json, signers);
            }
            catch (UntrustedSignerException ex)
            {
                return (RestoreCodes.SbomNotVerified, $"its SBOM attestation is signed by {ex.Signer}, which '{decision.Pattern}' does not trust. Do not use the package; the SBOM must come from the same publisher as the package.");
            }
            catch (SigstoreException ex) when (ex.Code != RestoreCodes.TrustRootUnavailable)
            {
                return (RestoreCodes.SbomNotVerified, $"its SBOM attestation ({EmbeddedBundle.SbomEntryName}) does not verify: {ex.Code}: {ex.Message}. Do not use the package; find out where it came from.");
            }

            if (signers.All(i => i.Mismatch(sbomSigner) is not null))
            {
                return (RestoreCodes.SbomNotVerified, $"its SBOM attestation is signed by {sbomSigner}, which '{decision.Pattern}' does not trust. Do not use the package; the SBOM must come from the same publisher as the package.");
            }

            cache.SetVerified(key, sbomSigner);
        }

        usedKeys[key] = true;
        return null;
    }

    /// <summary>The trust root fingerprint for the cache index, without loading the trust material when a file names it.</summary>
    private string? PeekTrustRootFingerprint() => TrustRootPackageSignatureVerifier.PeekFingerprint(options.Verifier);

    /// <summary>What the cache index needs of one package: its stats, and whether only local sources were asked.</summary>
    private sealed class IndexRecord
    {
        public List<StatEntry>? Stats { get; set; }

        public bool Eligible { get; set; } = true;
    }

    private (string Code, string Message)? CheckLock(SigstoreLockFile? lockFile, AssetsPackage package, SignerIdentity signer)
    {
        if (lockFile is null)
        {
            return null;
        }

        lock (_lockGate)
        {
            var locked = lockFile.Find(package.Id);
            if (locked is null)
            {
                if (options.LockedMode)
                {
                    return (RestoreCodes.LockMissingEntry, $"it is signed by {signer}, but sigstore.lock.json has no entry for it and locked mode is on. Run 'sigstore lock update' (or build with -p:SigstoreLockUpdate=true) and commit the lock file.");
                }

                lockFile.Set(package.Id, LockEntry.From(signer, package.Version));
                return null;
            }

            var difference = locked.Difference(signer);
            if (difference is null)
            {
                return null;
            }

            if (!options.LockUpdate)
            {
                return (RestoreCodes.LockIdentityChanged, $"the signer changed since sigstore.lock.json was written (first seen at {locked.FirstSeenVersion}): {difference}. If this change is expected, run 'sigstore lock update' or build with -p:SigstoreLockUpdate=true, and commit the lock file.");
            }

            lockFile.Set(package.Id, LockEntry.From(signer, package.Version));
            Report(RestoreCodes.LockUpdated, package.Id, package.Version, $"{package.Id} {package.Version}: sigstore.lock.json now records {signer} ({difference}).", isWarning: true);
            return null;
        }
    }

    private static void TryCacheBundle(PackageLocation location, BundleCandidate bundle)
    {
        try
        {
            FileWrites.WriteAtomically(location.CachedBundlePath, bundle.Json);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The cache is an optimisation; the next build fetches again.
        }
    }

    private static (string? Directory, string? Nupkg) Locate(AssetsFile assets, AssetsPackage package)
    {
        var fileName = $"{package.Id.ToLowerInvariant()}.{package.Version.ToLowerInvariant()}.nupkg";
        foreach (var folder in assets.PackageFolders)
        {
            var directory = Path.GetFullPath(Path.Combine(folder, package.Path));
            var nupkg = Path.Combine(directory, fileName);
            if (File.Exists(nupkg))
            {
                return (directory, nupkg);
            }
        }

        return (null, null);
    }

    private void Report(string code, string? packageId, string? version, string message, bool isWarning)
    {
        var severity = isWarning ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;
        var emitted = code;
        if (!isWarning && options.Mode == VerificationMode.Audit)
        {
            emitted = RestoreCodes.ToAuditWarning(code);
            severity = DiagnosticSeverity.Warning;
        }

        // A folder changed after restore is never an accepted risk: integrity failures cannot be suppressed.
        var suppressible = code is not (RestoreCodes.ContentHashMismatch or RestoreCodes.ExtractedFileTampered);
        var suppressed = suppressible && (options.Policy.IsSuppressed(emitted, packageId) || options.Policy.IsSuppressed(code, packageId));
        _diagnostics.Add(new RestoreDiagnostic(emitted, severity, packageId, version, message, suppressed));
    }
}
