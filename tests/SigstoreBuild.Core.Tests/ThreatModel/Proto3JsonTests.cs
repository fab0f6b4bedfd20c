using System.Text.Json.Nodes;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>
/// proto3 JSON writers (sigstore-js among them) omit every scalar and list that holds its default value, and proto3 JSON
/// readers take null as the default: an omitted or null field is read as 0, empty or "", never as missing. The first
/// entry of a log is where this shows: index 0 and a one-leaf proof with no hashes.
/// (tests/SigstoreBuild.Cli.Tests/Interop has the same shapes as sigstore-js writes them.)
/// </summary>
[TestClass]
public sealed class Proto3JsonTests
{
    [TestMethod]
    [DataRow(Rekor.V1, false, "omit")]
    [DataRow(Rekor.V1, true, "omit")]
    [DataRow(Rekor.V2, false, "omit")]
    [DataRow(Rekor.V2, true, "omit")]
    [DataRow(Rekor.V1, false, "null")]
    [DataRow(Rekor.V2, false, "null")]
    public void FirstEntryOfAnEmptyLog_WithItsDefaultsOmittedOrNull_Verifies(Rekor rekor, bool dsse, string how)
    {
        using var sigstore = TestSigstore.Fresh();
        var bundle = sigstore.Sign(new BundleSpec { Rekor = rekor, Dsse = dsse });
        var proof = bundle.Entry["inclusionProof"]!.AsObject();
        Assert.AreEqual("0", bundle.Entry["logIndex"]!.GetValue<string>(), "the instance's log was empty");
        Assert.AreEqual("1", proof["treeSize"]!.GetValue<string>());

        if (how == "omit")
        {
            OmitDefaults(bundle.Json);
            Assert.IsFalse(bundle.Entry.ContainsKey("logIndex") || proof.ContainsKey("logIndex") || proof.ContainsKey("hashes"), "what a proto3 writer leaves out");
        }
        else
        {
            bundle.Entry["logIndex"] = null;
            proof["logIndex"] = null;
            proof["hashes"] = null;
        }

        var result = Expect.Verifies(bundle, verifier: sigstore.Verifier());
        Assert.AreEqual(0, result.LogEntries[0].LogIndex);
        Assert.IsTrue(result.LogEntries[0].InclusionProofVerified);
    }

    [TestMethod]
    public void DsseWithItsPayloadOmitted_IsAnEmptyPayload_RefusedAsAStatement()
    {
        // Signed over PAE with an empty payload: the envelope is well formed and its signature valid; what it holds is no statement.
        var bundle = TestSigstore.Shared.Sign(new BundleSpec { Dsse = true, Payload = [], Rekor = Rekor.None });
        bundle.Json["dsseEnvelope"]!.AsObject().Remove("payload");
        Expect.Rejects(AttestationCodes.MalformedStatement, bundle);
    }

    /// <summary>What a proto3 JSON writer leaves out: int64 0 (a string), 0, false, "" and empty lists.</summary>
    internal static void OmitDefaults(JsonNode? node)
    {
        if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                OmitDefaults(item);
            }
        }
        else if (node is JsonObject obj)
        {
            foreach (var (name, value) in obj.ToArray())
            {
                var isDefault = value switch
                {
                    JsonArray a => a.Count == 0,
                    JsonValue v when v.TryGetValue<string>(out var s) => s is "" or "0",
                    JsonValue v when v.TryGetValue<long>(out var n) => n == 0,
                    JsonValue v when v.TryGetValue<bool>(out var b) => !b,
                    _ => false,
                };
                if (isDefault)
                {
                    obj.Remove(name);
                }
                else
                {
                    OmitDefaults(value);
                }
            }
        }
    }
}
