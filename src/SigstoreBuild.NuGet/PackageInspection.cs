using NuGet.Packaging.Core;

namespace SigstoreBuild.NuGet;

/// <summary>What a strict read of a package established: its identity from the nuspec and its digests.</summary>
public sealed class PackageInspection
{
    public required PackageIdentity Identity { get; init; }

    /// <summary>SHA-256 of the file as it is on disk.</summary>
    public required byte[] FileSha256 { get; init; }

    /// <summary>SHA-512 of the file as it is on disk.</summary>
    public required byte[] FileSha512 { get; init; }

    /// <summary>
    /// NuGet's content hash (SHA-512 of the package without its <c>.signature.p7s</c> entry): equal to
    /// <see cref="FileSha512"/> for an unsigned package, and unchanged by author or repository signing (N-01).
    /// </summary>
    public required byte[] ContentHashSha512 { get; init; }

    /// <summary>
    /// The package digest SigstoreBuild signs (docs/embedded-bundle.md): SHA-256 over the sorted names and contents of
    /// every entry except <c>.signature.p7s</c> and the embedded bundles, so embedding the bundle, NuGet signing and a feed
    /// rewriting the zip leave it unchanged, and any other change to the content breaks it.
    /// </summary>
    public required byte[] PackageDigest { get; init; }

    public required bool IsSigned { get; init; }

    /// <summary>The embedded Sigstore bundle (<c>.sigstore/bundle.sigstore.json</c>), if the package carries one.</summary>
    public byte[]? EmbeddedBundle { get; init; }

    /// <summary>The embedded SBOM attestation bundle (<c>.sigstore/sbom.sigstore.json</c>), if the package carries one.</summary>
    public byte[]? EmbeddedSbomBundle { get; init; }

    /// <summary>The <c>pkg:nuget/...</c> subject name.</summary>
    public string SubjectName => PackageSubject.Name(Identity.Id, Identity.Version);
}
