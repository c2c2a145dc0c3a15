using DraSdk.Tests.Shared;

namespace NvidiaGpuDriver.Tests;

/// <summary>
/// The test renderer of Helm charts (tests/Shared/HelmTemplate.cs) gives what <c>helm template</c> gives for the
/// constructs the charts use, and refuses what it does not know rather than render it differently.
/// </summary>
public sealed class HelmTemplateTests
{
    private const string Values = """
        name: drv
        enabled: false
        count: 0
        port: 8081
        labels: {b: "2", a: "1"}
        list: [x, y]
        empty: {}
        nested: {inner: {value: deep}}
        big: 1000000
        ratio: 0.5
        """;

    [Theory]
    [InlineData("a: {{ .Values.name }}", "a: drv")]
    [InlineData("a:\n  {{- if .Values.enabled }} on{{ else if .Values.port }} {{ .Values.port }}{{ else }} off{{ end }}", "a: 8081")]
    [InlineData("a: {{ if .Values.count }}yes{{ else }}no{{ end }}", "a: no")] // 0 is false, as in Go
    [InlineData("a: {{ if not .Values.enabled }}off{{ end }}", "a: off")]
    [InlineData("a: {{ .Values.missing }}", "a: ")] // a missing key prints nothing (Helm drops <no value>)
    [InlineData("a: {{ default \"dflt\" .Values.missing }}", "a: dflt")]
    [InlineData("a: {{ .Values.port | quote }}", "a: \"8081\"")]
    [InlineData("a: {{ .Values.name | squote }}", "a: 'drv'")]
    [InlineData("a:\n  {{- toYaml .Values.labels | nindent 2 }}", "a:\n  a: \"1\"\n  b: \"2\"")] // keys sorted, strings that read as numbers quoted
    [InlineData("a:\n{{- range $k, $v := .Values.labels }}\n  {{ $k }}: {{ $v }}\n{{- end }}", "a:\n  a: 1\n  b: 2")]
    [InlineData("a:\n{{- range .Values.list }}\n- {{ . }}\n{{- end }}", "a:\n- x\n- y")]
    [InlineData("a: {{ with .Values.empty }}full{{ else }}empty{{ end }}", "a: empty")]
    [InlineData("a: {{ with .Values.nested.inner }}{{ .value }} {{ $.Values.name }}{{ end }}", "a: deep drv")]
    [InlineData("{{- define \"t.x\" -}}\nk: {{ .Values.name }}\n{{- end }}\na:\n  {{- include \"t.x\" . | nindent 2 }}", "a:\n  k: drv")]
    [InlineData("a: {{ printf \"%s-%v\" .Values.name .Values.port | trunc 6 | trimSuffix \"-\" }}", "a: drv-80")]
    [InlineData("a: {{ and .Values.port .Values.name }} {{ or .Values.enabled .Values.name }} {{ eq .Values.name \"drv\" }} {{ eq .Values.port 8081.0 }}", "a: drv drv true true")]
    [InlineData("a: {{ .Values.big }} {{ .Values.ratio }} {{ .Values.port }}", "a: 1e+06 0.5 8081")] // Helm's numbers are float64
    [InlineData("a: {{ toYaml .Values.big }}", "a: 1000000")] // but toYaml goes through JSON
    [InlineData("{{/* a comment */}}a: {{ .Values.list | toJson }}", "a: [\"x\",\"y\"]")]
    [InlineData("{{ $n := .Values.name }}a: {{ $n }}", "a: drv")]
    public void Renders_as_helm_template_does(string template, string expected)
    {
        Assert.Equal(expected + "\n", Render(template));
    }

    [Theory]
    [InlineData("a: {{ .Values.missing.field }}", "nil pointer evaluating interface {}.field")]
    [InlineData("a: {{ .Values.name | upper }}", "function \"upper\" is not supported by this renderer")]
    [InlineData("a: {{ required \"name it\" .Values.missing }}", "name it")]
    [InlineData("a: {{ if .Values.name }}x", "if without end")]
    [InlineData("a: {{ eq .Values.port 8081 }}", "incompatible types for comparison")] // float64 against an int literal, as in Helm
    public void Refuses_what_helm_refuses_or_it_does_not_know(string template, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Render(template));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_document_that_renders_to_nothing_is_dropped_and_partials_are_not_output()
    {
        string chart = NewChart(new() { ["templates/_helpers.tpl"] = "{{- define \"x\" }}y{{ end }}", ["templates/a.yaml"] = "{{- if .Values.enabled }}\nk: v\n{{- end }}\n---\nb: {{ include \"x\" . }}\n" });
        try
        {
            List<(string Template, string Yaml)> rendered = HelmTemplate.RenderChart(chart, "ns", "rel", [Path.Combine(chart, "values.yaml")]);

            Assert.Equal([("templates/a.yaml", "b: y\n")], rendered);
        }
        finally
        {
            Directory.Delete(chart, recursive: true);
        }
    }

    private static string Render(string template)
    {
        string chart = NewChart(new() { ["templates/t.yaml"] = template });
        try
        {
            return HelmTemplate.RenderChart(chart, "ns", "rel", [Path.Combine(chart, "values.yaml")]).Single().Yaml;
        }
        finally
        {
            Directory.Delete(chart, recursive: true);
        }
    }

    private static string NewChart(Dictionary<string, string> files)
    {
        string chart = Path.Combine(Path.GetTempPath(), "chart-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(chart, "templates"));
        File.WriteAllText(Path.Combine(chart, "Chart.yaml"), "apiVersion: v2\nname: t\nversion: 0.1.0\nappVersion: \"1\"\n");
        File.WriteAllText(Path.Combine(chart, "values.yaml"), Values);
        foreach ((string name, string text) in files)
        {
            File.WriteAllText(Path.Combine(chart, name), text);
        }

        return chart;
    }
}
