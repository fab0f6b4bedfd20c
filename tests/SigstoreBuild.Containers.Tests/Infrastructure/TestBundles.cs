using System.Text;

namespace SigstoreBuild.Containers.Tests.Infrastructure;

/// <summary>Bundle-shaped JSON: the referrer code only looks at the envelope kind and the predicate type.</summary>
internal static class TestBundles
{
    public static byte[] Dsse(string predicateType = "https://slsa.dev/provenance/v1", string marker = "a")
    {
        var statement = Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"00"} }],"predicateType":"{{predicateType}}","predicate":{"marker":"{{marker}}"} }"""));
        return Encoding.UTF8.GetBytes(
            $$"""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"{{statement}}","signatures":[]} }""");
    }

    public static byte[] MessageSignature(string marker = "m") => Encoding.UTF8.GetBytes(
        $$"""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"marker":"{{marker}}"},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="} }""");
}
