using System.Text;
using SigstoreBuild.Attestations;
using SigstoreBuild.Diagnostics;

namespace SigstoreBuild.Tests.ThreatModel;

/// <summary>
/// D-02/D-04: every shape rule of <see cref="InTotoStatement.Parse"/>, broken alone in an otherwise valid statement,
/// fails with SSB34xx MalformedStatement (never an exception of another type, never acceptance).
/// </summary>
[TestClass]
public sealed class InTotoStatementShapeTests
{
    private const string Digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static string Statement(string subject = """{"name":"a","digest":{"sha256":"DIGEST"}}""", string predicateType = "\"https://slsa.dev/provenance/v1\"", string predicate = "{}") =>
        ("""{"_type":"https://in-toto.io/Statement/v1","subject":[""" + subject + "],\"predicateType\":" + predicateType + ",\"predicate\":" + predicate + "}")
            .Replace("DIGEST", Digest, StringComparison.Ordinal);

    [TestMethod]
    public void TwinStatement_Parses()
    {
        var statement = InTotoStatement.Parse(Encoding.UTF8.GetBytes(Statement()));
        Assert.AreEqual("a", Assert.ContainsSingle(statement.Subjects).Name);
    }

    [TestMethod]
    [DataRow("[]", DisplayName = "not an object")]
    [DataRow("""{"subject":[{"digest":{"sha256":"DIGEST"}}],"predicateType":"p"}""", DisplayName = "no _type")]
    [DataRow("""{"_type":"https://in-toto.io/Statement/v1","predicateType":"p"}""", DisplayName = "no subject array")]
    [DataRow("""{"_type":"https://in-toto.io/Statement/v1","subject":{},"predicateType":"p"}""", DisplayName = "subject not an array")]
    public void MalformedDocument_Rejected(string json) => Rejected(json.Replace("DIGEST", Digest, StringComparison.Ordinal));

    [TestMethod]
    public void EmptyPredicateType_Rejected() => Rejected(Statement(predicateType: "\"\""));

    [TestMethod]
    public void PredicateNotAnObject_Rejected() => Rejected(Statement(predicate: "\"text\""));

    [TestMethod]
    [DataRow("1", DisplayName = "subject not an object")]
    [DataRow("""{"name":5,"digest":{"sha256":"DIGEST"}}""", DisplayName = "name not a string")]
    [DataRow("""{"name":"a"}""", DisplayName = "no digest")]
    [DataRow("""{"name":"a","digest":"abc"}""", DisplayName = "digest not an object")]
    [DataRow("""{"name":"a","digest":{"sha256":5}}""", DisplayName = "digest value not a string")]
    [DataRow("""{"name":"a","digest":{}}""", DisplayName = "empty digest set")]
    [DataRow("""{"name":"a","digest":{"sha256":"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"}}""", DisplayName = "uppercase hex")]
    [DataRow("""{"name":"a","digest":{"sha256":"0123"}}""", DisplayName = "short digest")]
    public void MalformedSubject_Rejected(string subject) => Rejected(Statement(subject: subject));

    private static void Rejected(string json)
    {
        var ex = Assert.ThrowsExactly<VerificationException>(() => InTotoStatement.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.AreEqual(AttestationCodes.MalformedStatement, ex.Code, ex.Message);
    }
}
