using Microsoft.Build.Framework;
using SigstoreBuild.NuGet.Signing;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>
/// One signer (one token, one key, one certificate) per build and settings, shared by every project that MSBuild builds
/// in this process through RegisterTaskObject (the sourcelink RepositoryTask pattern). MSBuild disposes it at build end.
/// </summary>
internal static class SignerCache
{
    private static readonly object Gate = new();

    public static IAttestationSigner GetOrCreate(IBuildEngine4 engine, SignerSettings settings, Func<IAttestationSigner> create, out bool created)
    {
        lock (Gate)
        {
            if (engine.GetRegisteredTaskObject(settings.CacheKey, RegisteredTaskObjectLifetime.Build) is IAttestationSigner existing)
            {
                created = false;
                return existing;
            }

            var signer = create();
            engine.RegisterTaskObject(settings.CacheKey, signer, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
            created = true;
            return signer;
        }
    }
}
