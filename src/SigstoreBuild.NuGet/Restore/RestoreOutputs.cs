namespace SigstoreBuild.NuGet.Restore;

/// <summary>
/// what a failure leaves behind so that a later <c>--no-restore</c> build fails too, and package build assets
/// of the rejected restore are not imported. On failure in enforce mode: a marker under obj/, the assets file moved
/// aside, the <c>*.nuget.g.props/targets</c> replaced by files that import nothing and fail the build with SSB5112, and
/// NuGet's no-op cache removed so the next restore regenerates everything. On success: the marker is removed.
/// </summary>
internal static class RestoreOutputs
{
    public const string MarkerFileName = "verification.failed";

    public static string MarkerPath(string stateDirectory) => Path.Combine(stateDirectory, MarkerFileName);

    public static void Invalidate(string assetsFilePath, string stateDirectory, string? projectFileName, string summary)
    {
        ArgumentNullException.ThrowIfNull(assetsFilePath);
        Directory.CreateDirectory(stateDirectory);
        File.WriteAllText(MarkerPath(stateDirectory), summary + "\n");
        var objDirectory = Path.GetDirectoryName(Path.GetFullPath(assetsFilePath))!;
        if (File.Exists(assetsFilePath))
        {
            File.Move(assetsFilePath, Path.Combine(stateDirectory, "project.assets.json.rejected"), overwrite: true);
        }

        var noOpCache = Path.Combine(objDirectory, "project.nuget.cache");
        if (File.Exists(noOpCache))
        {
            File.Delete(noOpCache);
        }

        var pattern = projectFileName is null ? "*.nuget.g.*" : projectFileName + ".nuget.g.*";
        foreach (var generated in Directory.EnumerateFiles(objDirectory, pattern))
        {
            if (generated.EndsWith(".props", StringComparison.OrdinalIgnoreCase))
            {
                File.WriteAllText(generated, NeutralProps);
            }
            else if (generated.EndsWith(".targets", StringComparison.OrdinalIgnoreCase))
            {
                File.WriteAllText(generated, FailingTargets(summary));
            }
        }
    }

    public static void ClearMarker(string stateDirectory)
    {
        var marker = MarkerPath(stateDirectory);
        if (File.Exists(marker))
        {
            File.Delete(marker);
        }
    }

    private const string NeutralProps = """
        <Project>
          <!-- SigstoreBuild: dependency verification failed, so no package build assets are imported (threat model R-03). Restore again after fixing it. -->
          <PropertyGroup>
            <SigstoreRestoreVerificationFailed>true</SigstoreRestoreVerificationFailed>
          </PropertyGroup>
        </Project>

        """;

    private static string FailingTargets(string summary) => $"""
        <Project>
          <!-- SigstoreBuild: dependency verification failed (threat model R-03). Run a build with restore after fixing it. -->
          <Target Name="_SigstoreRestoreVerificationFailed" BeforeTargets="_CheckForInvalidConfigurationAndPlatform;ResolvePackageAssets;Build;VSTest">
            <Error Code="{RestoreCodes.PreviousVerificationFailed}" Text="The last Sigstore dependency verification of this project failed ({System.Security.SecurityElement.Escape(summary)}), so its restore outputs were invalidated. Fix the reported problem and build again with restore (without --no-restore)." File="$(MSBuildProjectFullPath)" />
          </Target>
        </Project>

        """;
}
