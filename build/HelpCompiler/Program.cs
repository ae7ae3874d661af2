using System.Text;
using System.Text.RegularExpressions;
using System.Xml;

namespace HeadlessVm.Build;

/// <summary>
/// Usage: HelpCompiler &lt;docs folder&gt; &lt;MAML file name&gt; &lt;output folder&gt;...
/// Reads every &lt;Verb-Noun&gt;.md page (platyPS shape) and every about_*.md page in the docs folder,
/// and writes the MAML file and the about_*.help.txt topics into each output folder.
/// A malformed page is an MSBuild-style error (file(line): error HVMHELP: ...) and exit code 1.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: HelpCompiler <docs folder> <MAML file name> <output folder>...");
            return 2;
        }

        var docs = args[0];
        var mamlName = args[1];
        var outputs = args.Skip(2).ToArray();
        try
        {
            var pages = Directory.EnumerateFiles(docs, "*.md")
                .Where(f => !Path.GetFileName(f).StartsWith("about_", StringComparison.OrdinalIgnoreCase))
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(CommandPage.Parse)
                .ToList();
            var abouts = Directory.EnumerateFiles(docs, "about_*.md").OrderBy(f => f, StringComparer.Ordinal).ToList();

            foreach (var output in outputs)
            {
                Directory.CreateDirectory(output);
                Maml.Write(pages, Path.Combine(output, mamlName));
                foreach (var about in abouts)
                {
                    var topic = Path.GetFileNameWithoutExtension(about);
                    File.WriteAllText(Path.Combine(output, topic + ".help.txt"), AboutTopic.Convert(about), new UTF8Encoding(false));
                }
            }

            Console.WriteLine($"HelpCompiler: {pages.Count} command pages, {abouts.Count} about topics -> {string.Join(", ", outputs)}");
            return 0;
        }
        catch (PageException ex)
        {
            Console.Error.WriteLine($"{ex.File}({ex.Line}): error HVMHELP: {ex.Message}");
            return 1;
        }
    }
}

public sealed class PageException(string file, int line, string message) : Exception(message)
{
    public string File { get; } = file;
    public int Line { get; } = line;
}

/// <summary>A block of markdown: a paragraph (or list item) or a fenced code block.</summary>
public sealed record Block(string Text, bool IsCode, string Language);

/// <summary>A heading and the lines under it, up to the next heading of the same or higher level.</summary>
public sealed class Section(string title, int line)
{
    public string Title { get; } = title;
    public int Line { get; } = line;
    public List<string> Lines { get; } = new();
    public List<Section> Children { get; } = new();

    public List<Block> Blocks() => Markdown.Blocks(Lines);
}

public static class Markdown
{
    /// <summary>Splits a page into its level-2 sections (with level-3 children); the H1 title comes back separately.</summary>
    public static (string Title, List<Section> Sections) Parse(string file)
    {
        var lines = File.ReadAllLines(file);
        var i = 0;
        if (lines.Length > 0 && lines[0].Trim() == "---")
        {
            i = Array.FindIndex(lines, 1, l => l.Trim() == "---") + 1;
        }

        string? title = null;
        var sections = new List<Section>();
        Section? h2 = null;
        Section? h3 = null;
        var inFence = false;
        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }
            else if (!inFence && line.StartsWith("# ", StringComparison.Ordinal) && title is null)
            {
                title = line[2..].Trim();
                continue;
            }
            else if (!inFence && line.StartsWith("## ", StringComparison.Ordinal))
            {
                h2 = new Section(line[3..].Trim(), i + 1);
                h3 = null;
                sections.Add(h2);
                continue;
            }
            else if (!inFence && line.StartsWith("### ", StringComparison.Ordinal) && h2 is not null)
            {
                h3 = new Section(line[4..].Trim(), i + 1);
                h2.Children.Add(h3);
                continue;
            }

            (h3 ?? h2)?.Lines.Add(line);
        }

        if (title is null)
        {
            throw new PageException(file, 1, "The page has no '# <name>' title.");
        }

        return (title, sections);
    }

    public static List<Block> Blocks(IEnumerable<string> lines)
    {
        var blocks = new List<Block>();
        var para = new List<string>();
        List<string>? code = null;
        var language = string.Empty;

        void Flush()
        {
            if (para.Count > 0)
            {
                blocks.Add(new Block(Inline(string.Join(" ", para.Select(p => p.Trim()))), false, string.Empty));
                para.Clear();
            }
        }

        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (code is not null)
            {
                if (trimmed.StartsWith("```", StringComparison.Ordinal))
                {
                    blocks.Add(new Block(string.Join("\n", code).TrimEnd(), true, language));
                    code = null;
                }
                else
                {
                    code.Add(line.TrimEnd());
                }

                continue;
            }

            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                Flush();
                code = new List<string>();
                language = trimmed[3..].Trim();
            }
            else if (trimmed.Length == 0)
            {
                Flush();
            }
            else if (Regex.IsMatch(trimmed, @"^([-*]|\d+\.)\s"))
            {
                // A list item is a paragraph of its own, so that help keeps the list's shape.
                Flush();
                para.Add(trimmed);
            }
            else
            {
                para.Add(trimmed);
            }
        }

        Flush();
        if (code is not null)
        {
            blocks.Add(new Block(string.Join("\n", code).TrimEnd(), true, language));
        }

        return blocks;
    }

    /// <summary>Markdown inline markup that reads badly in a console: links become their text, emphasis goes.</summary>
    public static string Inline(string text)
    {
        text = Regex.Replace(text, @"\[([^\]]+)\]\(([^)]*)\)", "$1");
        text = Regex.Replace(text, @"\*\*([^*]+)\*\*", "$1");
        return text;
    }
}

public sealed record ParameterDoc(string Name, List<Block> Description, IReadOnlyDictionary<string, string> Fields)
{
    public string Field(string key, string fallback) => Fields.TryGetValue(key, out var v) && v.Length > 0 ? v : fallback;

    public IReadOnlyList<string> Sets => Field("Parameter Sets", "(All)").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}

public sealed record ExampleDoc(string Title, string Code, List<Block> Remarks);

public sealed record TypeDoc(string Name, List<Block> Description);

public sealed record CommandPage(
    string Name,
    string Synopsis,
    List<Block> Description,
    List<(string Name, bool IsDefault)> SyntaxSets,
    List<ExampleDoc> Examples,
    List<ParameterDoc> Parameters,
    List<TypeDoc> Inputs,
    List<TypeDoc> Outputs,
    List<Block> Notes,
    List<(string Text, string Uri)> Links)
{
    private static readonly string[] Required = { "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS" };

    public static CommandPage Parse(string file)
    {
        var (title, sections) = Markdown.Parse(file);
        if (!Regex.IsMatch(title, @"^[A-Z][a-z]+-[A-Za-z]+$"))
        {
            throw new PageException(file, 1, $"'{title}' is not a Verb-Noun command name.");
        }

        if (Path.GetFileNameWithoutExtension(file) != title)
        {
            throw new PageException(file, 1, $"The page for '{title}' must be named '{title}.md'.");
        }

        foreach (var name in Required.Where(r => sections.All(s => s.Title != r)))
        {
            throw new PageException(file, 1, $"The page has no '## {name}' section.");
        }

        Section Get(string name) => sections.First(s => s.Title == name);

        var synopsis = string.Join(" ", Get("SYNOPSIS").Blocks().Select(b => b.Text));
        if (synopsis.Length == 0)
        {
            throw new PageException(file, Get("SYNOPSIS").Line, "The synopsis is empty.");
        }

        var syntax = Get("SYNTAX").Children
            .Select(c => Regex.Match(c.Title, @"^(?<name>\S+)(\s+\(Default\))?$"))
            .Select(m => (m.Groups["name"].Value, m.Value.EndsWith("(Default)", StringComparison.Ordinal)))
            .ToList();

        var examples = Get("EXAMPLES").Children.Select(c =>
        {
            var blocks = c.Blocks();
            var code = blocks.FirstOrDefault(b => b.IsCode)
                ?? throw new PageException(file, c.Line, $"Example '{c.Title}' has no code block.");
            var remarks = blocks.Where(b => b != code).ToList();
            return new ExampleDoc(c.Title, code.Text, remarks);
        }).ToList();

        var parameters = Get("PARAMETERS").Children
            .Where(c => c.Title.StartsWith('-'))
            .Select(c =>
            {
                var blocks = c.Blocks();
                var yaml = blocks.FirstOrDefault(b => b.IsCode && b.Language == "yaml")
                    ?? throw new PageException(file, c.Line, $"Parameter '{c.Title}' has no yaml block.");
                var fields = yaml.Text.Split('\n')
                    .Select(l => l.Split(':', 2))
                    .Where(p => p.Length == 2)
                    .GroupBy(p => p[0].Trim())
                    .ToDictionary(g => g.Key, g => g.First()[1].Trim());
                var description = blocks.Where(b => b != yaml).ToList();
                if (description.Count == 0)
                {
                    throw new PageException(file, c.Line, $"Parameter '{c.Title}' has no description.");
                }

                return new ParameterDoc(c.Title[1..], description, fields);
            }).ToList();

        List<TypeDoc> Types(string name) => Get(name).Children.Select(c => new TypeDoc(c.Title, c.Blocks())).ToList();

        var linkList = Get("RELATED LINKS").Lines
            .Select(l => Regex.Match(l, @"\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)"))
            .Where(m => m.Success)
            .Select(m => (m.Groups["text"].Value, m.Groups["uri"].Value.StartsWith("http", StringComparison.Ordinal) ? m.Groups["uri"].Value : string.Empty))
            .ToList();

        return new CommandPage(title, synopsis, Get("DESCRIPTION").Blocks(), syntax, examples, parameters,
            Types("INPUTS"), Types("OUTPUTS"), Get("NOTES").Blocks(), linkList);
    }
}

public static class Maml
{
    private const string MamlNs = "http://schemas.microsoft.com/maml/2004/10";
    private const string CommandNs = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string DevNs = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static void Write(IEnumerable<CommandPage> pages, string path)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        var temp = path + ".tmp";
        using (var w = XmlWriter.Create(temp, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("helpItems", "http://msh");
            w.WriteAttributeString("schema", "maml");
            foreach (var page in pages)
            {
                WriteCommand(w, page);
            }

            w.WriteEndElement();
            w.WriteEndDocument();
        }

        File.Move(temp, path, overwrite: true);
    }

    private static void WriteCommand(XmlWriter w, CommandPage page)
    {
        w.WriteStartElement("command", "command", CommandNs);
        w.WriteAttributeString("xmlns", "maml", null, MamlNs);
        w.WriteAttributeString("xmlns", "dev", null, DevNs);

        w.WriteStartElement("command", "details", CommandNs);
        var dash = page.Name.IndexOf('-');
        w.WriteElementString("command", "name", CommandNs, page.Name);
        w.WriteElementString("command", "verb", CommandNs, page.Name[..dash]);
        w.WriteElementString("command", "noun", CommandNs, page.Name[(dash + 1)..]);
        Description(w, new List<Block> { new(page.Synopsis, false, string.Empty) });
        w.WriteEndElement();

        Description(w, page.Description);

        w.WriteStartElement("command", "syntax", CommandNs);
        var sets = page.SyntaxSets.Count > 0 ? page.SyntaxSets.Select(s => s.Name).ToList() : new List<string> { "(All)" };
        foreach (var set in sets)
        {
            w.WriteStartElement("command", "syntaxItem", CommandNs);
            w.WriteElementString("maml", "name", MamlNs, page.Name);
            var members = page.Parameters.Where(p => set == "(All)" || p.Sets.Contains("(All)") || p.Sets.Contains(set))
                .OrderBy(p => int.TryParse(p.Field("Position", "Named"), out var n) ? n : int.MaxValue)
                .ThenBy(p => p.Field("Required", "False") == "True" ? 0 : 1);
            foreach (var p in members)
            {
                Parameter(w, p);
            }

            w.WriteEndElement();
        }

        w.WriteEndElement();

        w.WriteStartElement("command", "parameters", CommandNs);
        foreach (var p in page.Parameters)
        {
            Parameter(w, p);
        }

        w.WriteEndElement();

        Types(w, "inputTypes", "inputType", page.Inputs);
        Types(w, "returnValues", "returnValue", page.Outputs);

        w.WriteStartElement("maml", "alertSet", MamlNs);
        w.WriteStartElement("maml", "alert", MamlNs);
        Paras(w, page.Notes);
        w.WriteEndElement();
        w.WriteEndElement();

        w.WriteStartElement("command", "examples", CommandNs);
        foreach (var example in page.Examples)
        {
            w.WriteStartElement("command", "example", CommandNs);
            w.WriteElementString("maml", "title", MamlNs, $"-------------------------- {example.Title} --------------------------");
            w.WriteElementString("dev", "code", DevNs, example.Code);
            w.WriteStartElement("dev", "remarks", DevNs);
            Paras(w, example.Remarks);
            // An empty para ends the example with a blank line, before the next example's title.
            w.WriteElementString("maml", "para", MamlNs, string.Empty);
            w.WriteEndElement();
            w.WriteEndElement();
        }

        w.WriteEndElement();

        w.WriteStartElement("command", "relatedLinks", CommandNs);
        foreach (var (text, uri) in page.Links)
        {
            w.WriteStartElement("maml", "navigationLink", MamlNs);
            w.WriteElementString("maml", "linkText", MamlNs, text);
            w.WriteElementString("maml", "uri", MamlNs, uri);
            w.WriteEndElement();
        }

        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void Parameter(XmlWriter w, ParameterDoc p)
    {
        var type = p.Field("Type", "Object");
        var isSwitch = type == "SwitchParameter";
        var position = p.Field("Position", "Named");
        w.WriteStartElement("command", "parameter", CommandNs);
        w.WriteAttributeString("required", p.Field("Required", "False").ToLowerInvariant());
        w.WriteAttributeString("variableLength", type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false");
        w.WriteAttributeString("globbing", p.Field("Accept wildcard characters", "False").ToLowerInvariant());
        w.WriteAttributeString("pipelineInput", p.Field("Accept pipeline input", "False"));
        w.WriteAttributeString("position", position.Equals("Named", StringComparison.OrdinalIgnoreCase) ? "named" : position);
        w.WriteAttributeString("aliases", p.Field("Aliases", "none"));
        w.WriteElementString("maml", "name", MamlNs, p.Name);
        Description(w, p.Description);
        if (!isSwitch)
        {
            w.WriteStartElement("command", "parameterValue", CommandNs);
            w.WriteAttributeString("required", "true");
            w.WriteAttributeString("variableLength", "false");
            w.WriteString(type);
            w.WriteEndElement();
        }

        w.WriteStartElement("dev", "type", DevNs);
        w.WriteElementString("maml", "name", MamlNs, type);
        w.WriteElementString("maml", "uri", MamlNs, string.Empty);
        w.WriteEndElement();
        w.WriteElementString("dev", "defaultValue", DevNs, p.Field("Default value", isSwitch ? "False" : "None"));
        w.WriteEndElement();
    }

    private static void Types(XmlWriter w, string outer, string inner, List<TypeDoc> types)
    {
        w.WriteStartElement("command", outer, CommandNs);
        foreach (var t in types)
        {
            w.WriteStartElement("command", inner, CommandNs);
            w.WriteStartElement("dev", "type", DevNs);
            w.WriteElementString("maml", "name", MamlNs, t.Name);
            w.WriteEndElement();
            Description(w, t.Description);
            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private static void Description(XmlWriter w, List<Block> blocks)
    {
        w.WriteStartElement("maml", "description", MamlNs);
        Paras(w, blocks);
        w.WriteEndElement();
    }

    private static void Paras(XmlWriter w, List<Block> blocks)
    {
        foreach (var b in blocks)
        {
            // Code in prose (sample output) keeps its lines; Get-Help prints a para's newlines as they are.
            w.WriteElementString("maml", "para", MamlNs, b.Text);
        }
    }
}

/// <summary>about_*.md (platyPS about shape: # about_X, ## SHORT DESCRIPTION, ## LONG DESCRIPTION, ...) to help.txt.</summary>
public static class AboutTopic
{
    public static string Convert(string file)
    {
        var (title, sections) = Markdown.Parse(file);
        var text = new StringBuilder();
        text.Append("TOPIC\n    ").Append(title).Append("\n\n");
        foreach (var section in sections)
        {
            text.Append(section.Title.ToUpperInvariant()).Append('\n');
            Body(text, section.Blocks(), "    ");
            foreach (var child in section.Children)
            {
                text.Append("  ").Append(child.Title.ToUpperInvariant()).Append('\n');
                Body(text, child.Blocks(), "    ");
            }
        }

        return text.ToString();
    }

    private static void Body(StringBuilder text, List<Block> blocks, string indent)
    {
        foreach (var b in blocks)
        {
            if (b.IsCode)
            {
                foreach (var line in b.Text.Split('\n'))
                {
                    text.Append(indent).Append("    ").Append(line).Append('\n');
                }
            }
            else
            {
                foreach (var line in Wrap(b.Text, 80 - indent.Length))
                {
                    text.Append(indent).Append(line).Append('\n');
                }
            }

            text.Append('\n');
        }
    }

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line.ToString();
                line.Clear();
            }

            if (line.Length > 0)
            {
                line.Append(' ');
            }

            line.Append(word);
        }

        if (line.Length > 0)
        {
            yield return line.ToString();
        }
    }
}
