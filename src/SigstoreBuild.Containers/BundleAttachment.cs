using System.Security.Cryptography;
using SigstoreBuild.Containers.Oci;
using SigstoreBuild.Containers.Registry;

namespace SigstoreBuild.Containers;

internal sealed record AttachResult(OciDescriptor Referrer, bool AttachedNow);

internal static class BundleAttachment
{
    /// <summary>
    /// Attaches <paramref name="bundleJson"/> to <paramref name="subject"/> unless the same bundle (same bytes) is already
    /// one of its referrers, so an unchanged image published again does not collect copies.
    /// </summary>
    public static async Task<AttachResult> AttachOnceAsync(RegistryClient client, string repository, OciDescriptor subject, byte[] bundleJson, CancellationToken cancellationToken)
    {
        var bundleDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bundleJson));
        foreach (var referrer in await SigstoreReferrers.ListBundlesAsync(client, repository, subject.Digest, cancellationToken).ConfigureAwait(false))
        {
            var manifest = await client.GetManifestAsync(repository, referrer.Digest, cancellationToken).ConfigureAwait(false);
            if (ImageManifest.Parse(manifest.Bytes.Span, manifest.Descriptor.MediaType).Layers is [var layer] && layer.Digest == bundleDigest)
            {
                return new AttachResult(referrer, AttachedNow: false);
            }
        }

        var attached = await SigstoreReferrers.AttachAsync(client, repository, subject, bundleJson, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new AttachResult(attached, AttachedNow: true);
    }
}
