using System.Security.Cryptography;
using SigstoreBuild.Bundles;
using SigstoreBuild.Verification;

namespace SigstoreBuild.NuGet.Verification;

/// <summary>
/// The cryptographic half of package verification: checks a DSSE bundle's signature, certificate, transparency log,
/// timestamps and signer identity, and that some in-toto subject carries <paramref name="digest"/>. Implemented on the
/// project's <c>SigstoreVerifier</c>; package verification adds the binding of that digest to the package name.
/// </summary>
public interface IAttestationVerifier
{
    /// <summary>
    /// Returns the result, with the verified identity, statement and warnings; throws a
    /// <see cref="Diagnostics.VerificationException"/> on failure. Enforces the parts of <paramref name="policy"/> that need
    /// the certificate (<see cref="PackageVerificationPolicy.RequireProvenanceConsistency"/>).
    /// </summary>
    VerificationResult Verify(Bundle bundle, HashAlgorithmName digestAlgorithm, byte[] digest, PackageVerificationPolicy policy);
}
