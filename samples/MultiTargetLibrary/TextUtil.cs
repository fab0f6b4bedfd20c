namespace Contoso.Text;

public static class TextUtil
{
    public static string Shout(string text) => text.ToUpperInvariant() + "!";
}
