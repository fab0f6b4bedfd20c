using System.Text.Json;
using System.Text.Json.Nodes;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;
using SigstoreBuild.IO;
using SigstoreBuild.NuGet.Provenance;

namespace SigstoreBuild.NuGet.Sbom;

/// <summary>
/// The SBOM attestation: a CycloneDX 1.6 document of what the build resolved, or an SBOM the user produced, over the
/// provenance's subjects. Every document is checked (<see cref="CycloneDxRules"/>) before it is signed.
/// </summary>
public static class SbomStatements
{
    /// <summary>The in-toto predicate type of a CycloneDX document.</summary>
    public const string CycloneDxPredicateType = CycloneDxBom.PredicateType;

    /// <summary>The in-toto predicate type of an SPDX 2.x document.</summary>
    public const string SpdxPredicateType = "https://spdx.dev/Document";

    /// <summary>A user's SBOM file: large applications list thousands of components, but an SBOM is still text.</summary>
    private static readonly InputKind SbomFile = new("SBOM", 32 * 1024 * 1024, "Pass a CycloneDX or SPDX JSON document (SigstoreSbomFile).") { TooLargeCode = ProvenanceCodes.SbomInvalid };

    /// <summary>True for the predicate types of the SBOM formats attested here (CycloneDX, SPDX).</summary>
    public static bool IsSbomPredicateType(string? predicateType) =>
        predicateType is CycloneDxPredicateType or SpdxPredicateType;

    /// <summary>
    /// A statement about <paramref name="subjects"/> whose predicate is the SBOM of the packages in
    /// <paramref name="assetsFile"/>; the root component is the project (its restore name, else <paramref name="fallbackName"/>).
    /// </summary>
    public static InTotoStatement ForAssets(IReadOnlyList<InTotoSubject> subjects, string assetsFile, string fallbackName, DateTimeOffset timestamp)
    {
        var project = ResolvedPackages.LoadProject(assetsFile);
        return Checked(subjects, SbomRoot.Application(project.Name ?? fallbackName, project.Version), project.Packages, timestamp);
    }

    /// <summary>
    /// The SBOM of a package: the package itself (<c>pkg:nuget/id@version</c> with its package digest) as the root, and
    /// the packages in <paramref name="assetsFile"/> (what its project restored) as its components.
    /// </summary>
    public static InTotoStatement ForPackage(PackageInspection package, string assetsFile, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(package);
        var subject = Attestations.PackageStatements.ForPackage(package);
        var project = ResolvedPackages.LoadProject(assetsFile);
        return Checked([subject], SbomRoot.Package(package.Identity.Id, package.Identity.Version, subject.Digest["sha256"]), project.Packages, timestamp);
    }

    /// <summary>
    /// A statement about <paramref name="subjects"/> whose predicate is the SBOM in <paramref name="sbomPath"/> (the
    /// output of another generator), unchanged: CycloneDX JSON (1.5 to 1.7, checked against the rules) or SPDX 2.x JSON.
    /// Anything else is refused with SSB0422 before anything is signed.
    /// </summary>
    public static InTotoStatement ForFile(IReadOnlyList<InTotoSubject> subjects, string sbomPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(sbomPath);
        var bytes = InputFile.ReadAllBytes(sbomPath, SbomFile);
        JsonObject document;
        try
        {
            document = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false }) as JsonObject
                ?? throw Invalid(sbomPath, "it is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw Invalid(sbomPath, $"it is not JSON ({ex.Message})");
        }

        if (document["bomFormat"] is JsonValue)
        {
            CycloneDxRules.Require(bytes, sbomPath, CycloneDxRules.AttestableSpecVersions);
            return new InTotoStatement(subjects, CycloneDxPredicateType, document);
        }

        if (document["spdxVersion"] is JsonValue spdx && spdx.TryGetValue<string>(out var version) && version.StartsWith("SPDX-2.", StringComparison.Ordinal))
        {
            if ((string?)document["SPDXID"] != "SPDXRef-DOCUMENT" || document["name"] is not JsonValue || document["packages"] is not (null or JsonArray))
            {
                throw Invalid(sbomPath, "an SPDX document needs \"SPDXID\": \"SPDXRef-DOCUMENT\", a name, and packages as an array");
            }

            return new InTotoStatement(subjects, SpdxPredicateType, document);
        }

        throw Invalid(sbomPath, "it is neither CycloneDX JSON (bomFormat) nor SPDX 2.x JSON (spdxVersion)");
    }

    private static InTotoStatement Checked(IReadOnlyList<InTotoSubject> subjects, SbomRoot root, IReadOnlyList<ResolvedPackage> packages, DateTimeOffset timestamp)
    {
        var bom = CycloneDxBom.Build(root, packages, timestamp, BuildHost.Current.SigstoreBuildVersion);

        // Our own output meets the rules we hold others to; a failure here is a bug, reported before signing.
        CycloneDxRules.Require(CycloneDxBom.Serialize(bom), "generated by SigstoreBuild");
        return new InTotoStatement(subjects, CycloneDxBom.PredicateType, bom);
    }

    private static SigstoreException Invalid(string path, string what) =>
        new(ProvenanceCodes.SbomInvalid, $"The SBOM '{path}' cannot be attested: {what}. Set SigstoreSbomFile to a CycloneDX JSON (1.5 to 1.7) or SPDX 2.x JSON document, or leave it empty to let SigstoreBuild generate the SBOM.");
}
