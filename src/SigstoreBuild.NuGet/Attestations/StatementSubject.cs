namespace SigstoreBuild.NuGet.Attestations;

/// <summary>One in-toto subject: a name and its digests (algorithm name such as <c>sha256</c> to lower-case hex).</summary>
public sealed record StatementSubject(string Name, IReadOnlyDictionary<string, string> Digest);
