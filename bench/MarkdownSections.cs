namespace SnnServe.Benchmarks;

/// <summary>Generated sections of a markdown file, between <c>&lt;!-- key:begin --&gt;</c> and <c>&lt;!-- key:end --&gt;</c>.</summary>
public static class MarkdownSections
{
    /// <summary>Replaces section <paramref name="key"/> of <paramref name="path"/> with <paramref name="text"/>, or appends it when absent.</summary>
    public static void Replace(string path, string key, string text)
    {
        string begin = $"<!-- {key}:begin -->", end = $"<!-- {key}:end -->";
        string content = File.Exists(path) ? File.ReadAllText(path) : "";
        int a = content.IndexOf(begin, StringComparison.Ordinal), b = content.IndexOf(end, StringComparison.Ordinal);
        string section = begin + "\n" + text + end;
        content = a >= 0 && b > a ? content[..a] + section + content[(b + end.Length)..] : content + "\n" + section + "\n";
        File.WriteAllText(path, content);
    }
}
