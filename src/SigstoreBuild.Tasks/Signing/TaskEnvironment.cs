namespace SigstoreBuild.Tasks.Signing;

/// <summary>
/// Environment variables, read only here, inside task code (threat model X-01): identity tokens and CI request tokens never
/// become MSBuild properties, items or task parameters, which binlogs record.
/// </summary>
internal interface ITaskEnvironment
{
    string? Get(string name);
}

internal sealed class ProcessTaskEnvironment : ITaskEnvironment
{
    public static readonly ProcessTaskEnvironment Instance = new();

    public string? Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
