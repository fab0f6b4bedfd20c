using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;

namespace SigstoreBuild.Signing;

/// <summary>
/// Signs a batch of files all or nothing, for keyless and key-based signing alike: each bundle goes to a temporary file
/// first, and none is put in place unless every artifact was signed and verified.
/// </summary>
internal static class SigningBatch
{
    private static readonly InputKind ArtifactFile = InputKind.AnySize("artifact to sign") with { Code = SigningCodes.ArtifactUnreadable };

    /// <param name="sign">Produces the verified bundle (and its bytes) of one request, given the artifact's SHA-256.</param>
    public static async Task<IReadOnlyList<SignedArtifact>> SignAllAsync(IReadOnlyList<SigningRequest> requests,
        Func<SigningRequest, byte[], CancellationToken, Task<(Bundle Bundle, byte[] Json)>> sign, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new SignedArtifact[requests.Count];
        var temps = new string?[requests.Count];
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = requests.Select(async (request, i) =>
        {
            try
            {
                var digest = await HashFileAsync(request.ArtifactPath, HashAlgorithmName.SHA256, failFast.Token).ConfigureAwait(false);
                var signed = await sign(request, digest, failFast.Token).ConfigureAwait(false);
                temps[i] = BundleFileWriter.WriteTemp(request.BundlePath, signed.Json);
                results[i] = new SignedArtifact(request.ArtifactPath, request.BundlePath, digest, signed.Bundle);
            }
            catch
            {
                await failFast.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }).ToArray();

        var all = Task.WhenAll(tasks);
        try
        {
            await all.ConfigureAwait(false);
            for (var i = 0; i < temps.Length; i++)
            {
                BundleFileWriter.Commit(temps[i]!, requests[i].BundlePath);
                temps[i] = null;
            }
        }
        catch (Exception) when (all.Exception is { } aggregate && !cancellationToken.IsCancellationRequested)
        {
            DiscardAll(temps);
            // Report the real failure, not the cancellations it caused in sibling artifacts.
            var cause = aggregate.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) ?? aggregate.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(cause).Throw();
            throw;
        }
        finally
        {
            DiscardAll(temps);
        }

        return results;
    }

    public static async Task<byte[]> HashFileAsync(string path, HashAlgorithmName algorithm, CancellationToken cancellationToken)
    {
        await using var stream = InputFile.OpenRead(path, ArtifactFile);
        return algorithm == HashAlgorithmName.SHA384
            ? await SHA384.HashDataAsync(stream, cancellationToken).ConfigureAwait(false)
            : await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    private static void DiscardAll(string?[] temps)
    {
        for (var i = 0; i < temps.Length; i++)
        {
            if (temps[i] is { } temp)
            {
                BundleFileWriter.Discard(temp);
                temps[i] = null;
            }
        }
    }
}
