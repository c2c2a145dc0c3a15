using System.Net;
using System.Text;
using System.Text.Json;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

/// <summary>Wire-level checks that KubernetesClient does not expose directly.</summary>
public sealed class RawHttpTests
{
    [Theory]
    [InlineData("apis/resource.k8s.io/v1/resourceslices?watch=1&resourceVersion=0")]
    [InlineData("apis/resource.k8s.io/v1/watch/resourceslices?resourceVersion=0")]
    [InlineData("apis/resource.k8s.io/v1/resourceslices?watch=true&fieldSelector=metadata.name%3Da")]
    public async Task Watch_streams_newline_delimited_events_in_every_url_form(string url)
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;
        api.Seed(Slice("a"));

        using var response = await http.GetAsync(new Uri(url, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);

        using var first = JsonDocument.Parse((await reader.ReadLineAsync(ct))!);
        Assert.Equal("ADDED", first.RootElement.GetProperty("type").GetString());
        Assert.Equal("ResourceSlice", first.RootElement.GetProperty("object").GetProperty("kind").GetString());

        api.Delete<k8s.Models.V1ResourceSlice>("a");
        using var second = JsonDocument.Parse((await reader.ReadLineAsync(ct))!);
        Assert.Equal("DELETED", second.RootElement.GetProperty("type").GetString());
        Assert.Equal("a", second.RootElement.GetProperty("object").GetProperty("metadata").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Expired_watch_is_one_ERROR_event_with_a_410_Status_then_the_end()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        api.Seed(Slice("a"));
        api.CompactWatchHistory();

        var body = await http.GetStringAsync(new Uri("apis/resource.k8s.io/v1/resourceslices?watch=true&resourceVersion=1", UriKind.Relative), TestContext.Current.CancellationToken);

        var line = Assert.Single(body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal("ERROR", doc.RootElement.GetProperty("type").GetString());
        var status = doc.RootElement.GetProperty("object");
        Assert.Equal("Status", status.GetProperty("kind").GetString());
        Assert.Equal(410, status.GetProperty("code").GetInt32());
        Assert.Equal("Expired", status.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task SendInitialEvents_ends_the_initial_state_with_an_annotated_bookmark()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        var ct = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken, Timeout()).Token;
        api.Seed(Slice("a"));
        api.Seed(Slice("b"));

        using var response = await http.GetAsync(new Uri("apis/resource.k8s.io/v1/resourceslices?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        var types = new List<string>();
        JsonElement bookmark = default;
        for (var i = 0; i < 3; i++)
        {
            using var doc = JsonDocument.Parse((await reader.ReadLineAsync(ct))!);
            types.Add(doc.RootElement.GetProperty("type").GetString()!);
            bookmark = doc.RootElement.GetProperty("object").Clone();
        }

        Assert.Equal(["ADDED", "ADDED", "BOOKMARK"], types);
        Assert.Equal(api.ResourceVersion, bookmark.GetProperty("metadata").GetProperty("resourceVersion").GetString());
        Assert.Equal("true", bookmark.GetProperty("metadata").GetProperty("annotations").GetProperty("k8s.io/initial-events-end").GetString());
    }

    [Fact]
    public async Task Unknown_resources_and_unsupported_patch_types_are_Status_errors()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        var ct = TestContext.Current.CancellationToken;
        api.Seed(Slice("a"));

        using var unknown = await http.GetAsync(new Uri("apis/resource.k8s.io/v1/widgets", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("\"kind\":\"Status\"", await unknown.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        using var content = new StringContent("{}", Encoding.UTF8, "application/xml");
        using var patch = await http.PatchAsync(new Uri("apis/resource.k8s.io/v1/resourceslices/a", UriKind.Relative), content, ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, patch.StatusCode);

        using var noStatus = await http.GetAsync(new Uri("apis/resource.k8s.io/v1/resourceslices/a/status", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.NotFound, noStatus.StatusCode); // slices have no status subresource
    }
}
