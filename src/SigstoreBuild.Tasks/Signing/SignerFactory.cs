using SigstoreBuild.Diagnostics;
using SigstoreBuild.NuGet.Signing;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>Creates the signer for validated settings. The only place the tasks touch the signing library.</summary>
internal static class SignerFactory
{
    /// <summary>Tests substitute the signer here; production code never sets it.</summary>
    internal static Func<SignerSettings, ITaskEnvironment, IAttestationSigner>? Override { get; set; }

    public static IAttestationSigner Create(SignerSettings settings, ITaskEnvironment environment)
    {
        if (Override is { } factory)
        {
            return factory(settings, environment);
        }

        throw new SigstoreException(TaskCodes.SignerUnavailable, "This build of SigstoreBuild has no signing services yet (the keyless signer is not included). Use a release of SigstoreBuild that includes it.");
    }
}
