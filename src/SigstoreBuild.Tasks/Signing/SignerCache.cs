using Microsoft.Build.Framework;
using SigstoreBuild.Signing.Sharing;

namespace SigstoreBuild.Tasks.Signing;

/// <summary>
/// One signer per build and settings in each MSBuild node process, shared by every project the node builds through
/// RegisterTaskObject (the sourcelink RepositoryTask pattern); the nodes share one session between them
/// (<see cref="SharedSigner"/>). MSBuild disposes it at build end, which also ends a node's shared session.
/// </summary>
internal static class SignerCache
{
    private static readonly object Gate = new();

    public static SharedSigner GetOrCreate(IBuildEngine4 engine, SignerSettings settings, Func<SharedSigner> create, out bool created)
    {
        lock (Gate)
        {
            if (engine.GetRegisteredTaskObject(settings.CacheKey, RegisteredTaskObjectLifetime.Build) is SharedSigner existing)
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
