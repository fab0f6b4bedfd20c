using System.Text;
using SigstoreBuild.Attestations;

namespace SigstoreBuild.Tests.Attestations;

[TestClass]
public sealed class DssePaeTests
{
    [TestMethod]
    public void Encode_MatchesSpecExample() =>
        // DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world")
        Assert.AreEqual("DSSEv1 29 http://example.com/HelloWorld 11 hello world",
            Encoding.UTF8.GetString(DssePae.Encode("http://example.com/HelloWorld", "hello world"u8)));

    [TestMethod]
    public void Encode_UsesUtf8ByteLengths_NotCharacters()
    {
        // "é" is one char but two UTF-8 bytes; "€" one char, three bytes (D-02).
        var pae = DssePae.Encode("tyé", "€"u8);
        Assert.AreEqual("DSSEv1 4 tyé 3 €", Encoding.UTF8.GetString(pae));
    }

    [TestMethod]
    public void Encode_EmptyPayload() => Assert.AreEqual("DSSEv1 1 t 0 ", Encoding.UTF8.GetString(DssePae.Encode("t", [])));
}
