namespace SigstoreBuild.Tasks.Reporting;

internal sealed record SignedArtifactRow(string Artifact, string Subject, string Sha256, string? Identity, long? LogIndex, string Bundle, string Status);
