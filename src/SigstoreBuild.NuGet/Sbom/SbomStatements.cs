using SigstoreBuild.Attestations;
using SigstoreBuild.NuGet.Provenance;

namespace SigstoreBuild.NuGet.Sbom;

/// <summary>The SBOM attestation: a CycloneDX 1.6 document of what the build resolved, over the provenance's subjects.</summary>
public static class SbomStatements
{
    /// <summary>The in-toto predicate type of a CycloneDX document.</summary>
    public const string CycloneDxPredicateType = CycloneDxBom.PredicateType;

    /// <summary>
    /// A statement about <paramref name="subjects"/> whose predicate is the SBOM of the packages in
    /// <paramref name="assetsFile"/>; the root component is the project (its restore name, else <paramref name="fallbackName"/>).
    /// </summary>
    public static InTotoStatement ForAssets(IReadOnlyList<InTotoSubject> subjects, string assetsFile, string fallbackName, DateTimeOffset timestamp)
    {
        var project = ResolvedPackages.LoadProject(assetsFile);
        var bom = CycloneDxBom.Build(SbomRoot.Application(project.Name ?? fallbackName, project.Version), project.Packages, timestamp, BuildHost.Current.SigstoreBuildVersion);
        return new InTotoStatement(subjects, CycloneDxBom.PredicateType, bom);
    }
}
