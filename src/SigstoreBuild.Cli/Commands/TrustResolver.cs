using SigstoreBuild.Diagnostics;
using SigstoreBuild.Tuf;

namespace SigstoreBuild.Cli.Commands;

/// <summary>The CLI's trust options through Core's <see cref="TrustSettings"/>; offline mode is explicit and reported.</summary>
internal static class TrustResolver
{
    public static TrustConfiguration ToConfiguration(TrustSettings settings) => settings.ToConfiguration(TrustSettingNames.CommandLine);

    public static async Task<TrustMaterialBytes> GetAsync(TrustSettings selection, CliConsole console, CancellationToken cancellationToken)
    {
        var material = await new TrustRootProvider(ToConfiguration(selection)).GetAsync(cancellationToken).ConfigureAwait(false);
        foreach (var warning in material.Warnings)
        {
            console.Warning(warning.Code, warning.Message);
        }

        if (material.Offline)
        {
            console.Info($"Offline: using the {(material.Source == TrustMaterialSource.Embedded ? "embedded" : "cached")} trust root without contacting the TUF mirror.");
        }

        return material;
    }
}
