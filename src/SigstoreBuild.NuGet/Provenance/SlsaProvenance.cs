namespace SigstoreBuild.NuGet.Provenance;

/// <summary>The identifiers SigstoreBuild's provenance uses; docs/provenance.md defines each of them.</summary>
internal static class SlsaProvenance
{
    /// <summary>The in-toto predicate type of SLSA Provenance v1.</summary>
    public const string PredicateType = "https://slsa.dev/provenance/v1";

    /// <summary>SigstoreBuild's build type: a dotnet pack or publish, documented in docs/provenance.md#v1.</summary>
    public const string BuildTypeV1 = "https://github.com/sigstorebuild/sigstorebuild/blob/main/docs/provenance.md#v1";

    /// <summary>The builder id of a build outside any recognised CI system (a developer machine).</summary>
    public const string LocalBuilderId = "https://github.com/sigstorebuild/sigstorebuild/blob/main/docs/provenance.md#local-builder";

    /// <summary>GitHub's own build type, whose fields the predicate also carries on GitHub Actions.</summary>
    public const string GitHubWorkflowBuildType = "https://actions.github.io/buildtypes/workflow/v1";

    /// <summary>The resolvedDependencies digest algorithm of a git commit (in-toto digest set: <c>gitCommit</c>).</summary>
    public const string GitCommitDigest = "gitCommit";

    /// <summary>The prefix of a source dependency's URI: <c>git+&lt;repository&gt;[@&lt;ref&gt;]</c>.</summary>
    public const string GitUriPrefix = "git+";
}
