using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.NuGet;
using SigstoreBuild.NuGet.Attestations;
using SigstoreBuild.NuGet.Provenance;
using SigstoreBuild.Tasks.Signing;

namespace SigstoreBuild.Tasks;

/// <summary>The signing tasks' side of provenance: the collected inputs plus this process's environment and clock.</summary>
internal sealed class SlsaProvenanceSource
{
    private readonly ProvenanceBuilder _builder;
    private readonly ProvenanceInputs _inputs;
    private readonly Action<string, string> _warn;
    private readonly TimeProvider _time;
    private bool _warned;

    private SlsaProvenanceSource(ProvenanceInputs inputs, ProvenanceBuilder builder, Action<string, string> warn, TimeProvider time)
    {
        _inputs = inputs;
        _builder = builder;
        _warn = warn;
        _time = time;
    }

    /// <summary>Null when no inputs file was given (provenance off).</summary>
    public static SlsaProvenanceSource? Create(string? inputsPath, ITaskEnvironment environment, Action<string, string> warn, TimeProvider? time = null)
    {
        if (string.IsNullOrWhiteSpace(inputsPath))
        {
            return null;
        }

        var inputs = ProvenanceInputs.Load(inputsPath);
        var builder = new ProvenanceBuilder(inputs, BuildPlatform.Detect(environment.Get), BuildHost.Current);
        return new SlsaProvenanceSource(inputs, builder, warn, time ?? TimeProvider.System);
    }

    public JsonObject Build(string step)
    {
        var predicate = _builder.Build(step, _time.GetUtcNow());
        if (!_warned)
        {
            _warned = true;
            foreach (var (code, message) in _builder.Warnings)
            {
                _warn(code, message);
            }
        }

        return predicate;
    }

    public InTotoStatement WithAssemblies(InTotoStatement statement, string packagePath) =>
        _inputs.IncludeAssemblies && packagePath.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase)
            ? PackageAssemblies.AddTo(statement, packagePath, statement.Subjects[0].Name)
            : statement;
}
