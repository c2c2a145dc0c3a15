using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using static DraSdk.Testing.Tests.ApiServer.ApiTestSupport;

namespace DraSdk.Testing.Tests.ApiServer;

public sealed class ListTests
{
    [Fact]
    public async Task Field_selectors_match_metadata_and_dotted_spec_paths()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        api.Seed(Slice("a-gpu", node: "node-a"));
        api.Seed(Slice("a-nic", node: "node-a", driver: "nic.example.com"));
        api.Seed(Slice("b-gpu", node: "node-b"));

        async Task<string[]> Names(string selector) =>
            [.. (await client.ResourceV1.ListResourceSliceAsync(fieldSelector: selector, cancellationToken: ct)).Items.Select(s => s.Metadata.Name)];

        Assert.Equal(["a-gpu", "a-nic"], await Names("spec.nodeName=node-a"));
        Assert.Equal(["a-gpu"], await Names("spec.nodeName==node-a,spec.driver=gpu.example.com"));
        Assert.Equal(["a-nic"], await Names("spec.driver!=gpu.example.com"));
        Assert.Equal(["b-gpu"], await Names("spec.pool.name=node-b"));
        Assert.Equal(["b-gpu"], await Names("metadata.name=b-gpu"));
        Assert.Empty(await Names("spec.nodeName=node-c"));
    }

    [Fact]
    public async Task Label_selectors_support_equality_and_set_based_requirements()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        api.Seed(Slice("s1", labels: new Dictionary<string, string> { ["tier"] = "gold", ["zone"] = "a" }));
        api.Seed(Slice("s2", labels: new Dictionary<string, string> { ["tier"] = "silver" }));
        api.Seed(Slice("s3"));

        async Task<string[]> Names(string selector) =>
            [.. (await client.ResourceV1.ListResourceSliceAsync(labelSelector: selector, cancellationToken: ct)).Items.Select(s => s.Metadata.Name)];

        Assert.Equal(["s1"], await Names("tier=gold"));
        Assert.Equal(["s1"], await Names("tier==gold"));
        Assert.Equal(["s2", "s3"], await Names("tier!=gold"));
        Assert.Equal(["s1", "s2"], await Names("tier in (gold, silver)"));
        Assert.Equal(["s2", "s3"], await Names("tier notin (gold)"));
        Assert.Equal(["s1", "s2"], await Names("tier"));
        Assert.Equal(["s3"], await Names("!tier"));
        Assert.Equal(["s1"], await Names("tier in (gold,silver),zone=a"));

        var bad = await ExpectStatusAsync(HttpStatusCode.BadRequest, () => client.ResourceV1.ListResourceSliceAsync(labelSelector: "tier in (gold", cancellationToken: ct));
        Assert.Equal("BadRequest", bad.Reason);
    }

    [Fact]
    public async Task Limit_and_continue_page_through_all_items()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 7; i++)
        {
            api.Seed(Slice($"s{i}"));
        }

        var names = new List<string>();
        string? token = null;
        var pages = 0;
        string? firstRv = null;
        do
        {
            var page = await client.ResourceV1.ListResourceSliceAsync(limit: 3, continueParameter: token, cancellationToken: ct);
            firstRv ??= page.Metadata.ResourceVersion;
            Assert.Equal(firstRv, page.Metadata.ResourceVersion);
            names.AddRange(page.Items.Select(s => s.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            if (token is not null)
            {
                Assert.Equal(7 - names.Count, page.Metadata.RemainingItemCount);
            }

            pages++;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"s{i}"), names);
    }

    [Fact]
    public async Task Lists_have_list_kind_and_resourceVersion_and_items_without_type_fields()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };
        api.Seed(Slice("s"));

        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("apis/resource.k8s.io/v1/resourceslices", UriKind.Relative), TestContext.Current.CancellationToken));
        var root = doc.RootElement;
        Assert.Equal("ResourceSliceList", root.GetProperty("kind").GetString());
        Assert.Equal("resource.k8s.io/v1", root.GetProperty("apiVersion").GetString());
        Assert.Equal(api.ResourceVersion, root.GetProperty("metadata").GetProperty("resourceVersion").GetString());
        var item = root.GetProperty("items")[0];
        Assert.Equal("s", item.GetProperty("metadata").GetProperty("name").GetString());
        Assert.False(item.TryGetProperty("kind", out _)); // as the real server writes list items
    }

    [Fact]
    public async Task Claims_can_be_listed_in_one_namespace_or_across_all()
    {
        await using var api = await InMemoryKubernetesApiServer.StartAsync(TestContext.Current.CancellationToken);
        using var client = api.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        api.Seed(Claim("c1", ns: "team-a"));
        api.Seed(Claim("c2", ns: "team-b"));
        api.Seed(Claim("c3", ns: "team-a"));

        var all = await client.ResourceV1.ListResourceClaimForAllNamespacesAsync(cancellationToken: ct);
        Assert.Equal(3, all.Items.Count);
        Assert.Equal("ResourceClaimList", all.Kind);

        var teamA = await client.ResourceV1.ListNamespacedResourceClaimAsync("team-a", cancellationToken: ct);
        Assert.Equal(["c1", "c3"], teamA.Items.Select(c => c.Metadata.Name));

        var byNs = await client.ResourceV1.ListResourceClaimForAllNamespacesAsync(fieldSelector: "metadata.namespace=team-b", cancellationToken: ct);
        Assert.Equal("c2", Assert.Single(byNs.Items).Metadata.Name);
    }
}
