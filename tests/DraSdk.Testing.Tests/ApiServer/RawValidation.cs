using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace DraSdk.Testing.Tests.ApiServer;

/// <summary>
/// Writes JSON objects to the in-memory API server over plain HTTP (so that a test can send what KubernetesClient's
/// models would not) and checks the Status of a rejection.
/// </summary>
internal sealed class RawValidation : IAsyncDisposable
{
    private readonly HttpClient _http;

    private RawValidation(InMemoryKubernetesApiServer api)
    {
        Api = api;
        _http = new HttpClient { BaseAddress = api.BaseAddress };
    }

    public InMemoryKubernetesApiServer Api { get; }

    public static async Task<RawValidation> StartAsync(InMemoryApiServerOptions? options = null) =>
        new(await InMemoryKubernetesApiServer.StartAsync(options ?? new InMemoryApiServerOptions(), TestContext.Current.CancellationToken));

    /// <summary>Parses JSON written with single quotes for readability (<c>{'a': 'b'}</c>).</summary>
    public static JsonObject Json(string text) => JsonNode.Parse(text.Replace('\'', '"'))!.AsObject();

    /// <summary>Applies a JSON merge patch (RFC 7386) written with single quotes to a copy of <paramref name="target"/>.</summary>
    public static JsonObject Merge(JsonObject target, string patch)
    {
        var copy = target.DeepClone().AsObject();
        MergeInto(copy, Json(patch));
        return copy;
    }

    private static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject p && target[key] is JsonObject t)
            {
                MergeInto(t, p);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }

    public Task<HttpResponseMessage> CreateAsync(string collection, JsonObject body) => SendAsync(HttpMethod.Post, collection, body);

    public Task<HttpResponseMessage> ReplaceAsync(string url, JsonObject body) => SendAsync(HttpMethod.Put, url, body);

    public async Task<JsonObject> CreateOkAsync(string collection, JsonObject body)
    {
        using var response = await CreateAsync(collection, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201 Created, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task<JsonObject> ReplaceOkAsync(string url, JsonObject body)
    {
        using var response = await ReplaceAsync(url, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200 OK, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, JsonObject body)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Expects <c>422 Invalid</c> for <c>kind "name"</c> with a cause of each (reason, field) and returns the causes.
    /// </summary>
    public static async Task<List<(string Reason, string Field, string Message)>> ExpectInvalidAsync(Task<HttpResponseMessage> call, string groupKind, string name, params (string Reason, string Field)[] expected)
    {
        using var response = await call;
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == (HttpStatusCode)422, $"expected 422, got {(int)response.StatusCode}: {text}");
        var status = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.Equal(422, (int?)status["code"]);
        Assert.StartsWith(groupKind + " \"" + name + "\" is invalid: ", (string?)status["message"], StringComparison.Ordinal);
        var causes = (status["details"]?["causes"] as JsonArray ?? [])
            .Select(c => ((string?)c?["reason"] ?? "", (string?)c?["field"] ?? "", (string?)c?["message"] ?? ""))
            .ToList();
        foreach (var (reason, field) in expected)
        {
            Assert.True(causes.Any(c => c.Item1 == reason && c.Item2 == field), $"no cause ({reason}, {field}) in {text}");
        }

        return causes;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Api.DisposeAsync();
    }
}
