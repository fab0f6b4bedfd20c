namespace SigstoreBuild.Signing;

public enum SigningLogLevel
{
    Debug,
    Info,
    Warning,
}

/// <summary>
/// Where the signer reports progress and warnings (the CLI and the MSBuild task adapt it). Messages never contain
/// tokens or Authorization headers.
/// </summary>
public interface ISigningLog
{
    void Write(SigningLogLevel level, string? code, string message);
}

internal sealed class NullSigningLog : ISigningLog
{
    public static readonly NullSigningLog Instance = new();

    public void Write(SigningLogLevel level, string? code, string message)
    {
    }
}
