namespace SigstoreBuild.Diagnostics;

/// <summary>
/// Every failure the library reports carries a stable <c>SSBxxxx</c> code (see docs/diagnostics/README.md) and a message
/// that says what happened and what to do. Messages never contain identity tokens or other secrets.
/// </summary>
public class SigstoreException : Exception
{
    public SigstoreException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>The stable diagnostic code, e.g. <c>SSB3101</c>.</summary>
    public string Code { get; }

    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>A bundle, or something it refers to, failed verification. Codes are in the SSB3xxx range.</summary>
public sealed class VerificationException : SigstoreException
{
    public VerificationException(string code, string message, Exception? innerException = null)
        : base(code, message, innerException)
    {
    }

    /// <summary>
    /// When the policy named other signers (SSB3460-SSB3462): the identity of the certificate, which verified in every other
    /// respect; else null.
    /// </summary>
    public Verification.VerifiedIdentity? Signer { get; init; }
}
