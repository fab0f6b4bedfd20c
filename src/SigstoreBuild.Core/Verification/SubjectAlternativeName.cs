namespace SigstoreBuild.Verification;

/// <summary>The kinds of subject alternative name a Fulcio certificate may carry.</summary>
public enum SubjectAlternativeNameKind
{
    Email,
    Uri,
    OtherName,
}

/// <summary>The single subject alternative name of a signing certificate.</summary>
internal sealed record SubjectAlternativeName(SubjectAlternativeNameKind Kind, string Value);
