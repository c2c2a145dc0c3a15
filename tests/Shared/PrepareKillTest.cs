using DraSdk.Testing;
using k8s;
using k8s.Models;
using Xunit;
using V1 = DraSdk.Kubelet.Api.Dra.V1;

namespace DraSdk.Tests.Shared;

/// <summary>
/// Kills a driver process (SIGKILL) at random points of prepare and unprepare, the kill landing anywhere from before the
/// call to after its answer (inside the state and CDI writes included), restarts it and checks the crash-safety
/// contract: prepared claims answer the same CDI ids; an interrupted prepare prepares cleanly on retry; after unprepare
/// no spec of the claim is left and a second unprepare succeeds; no state file is set aside as corrupt; no temporary
/// files accumulate. <c>DRASDK_KILL_POINTS</c> sets how many kills (CI runs fewer than a full run).
/// </summary>
internal static class PrepareKillTest
{
    /// <summary>An in-memory API server with the node <c>node-a</c>, and a kubeconfig for the driver process in <paramref name="root"/>.</summary>
    public static async Task<(InMemoryKubernetesApiServer Api, IKubernetes Client, string Kubeconfig)> StartApiServerAsync(string root, CancellationToken cancellationToken)
    {
        InMemoryKubernetesApiServer api = await InMemoryKubernetesApiServer.StartAsync(cancellationToken);
        IKubernetes client = api.CreateClient();
        await client.CoreV1.CreateNodeAsync(new V1Node { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = "node-a" } }, cancellationToken: cancellationToken);
        return (api, client, api.WriteKubeconfig(Path.Combine(root, "kubeconfig")));
    }

    /// <summary>How many kills: <c>DRASDK_KILL_POINTS</c>, or <paramref name="ciDefault"/>.</summary>
    public static int Points(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("DRASDK_KILL_POINTS"), out int n) && n > 0 ? n : ciDefault;

    /// <summary>Runs <paramref name="points"/> kill-and-restart cycles; returns what happened, for the test's message.</summary>
    public static async Task<string> RunAsync(
        string root, string driverName, Func<DriverProcess> start, IReadOnlyList<Resourcev1ResourceClaim> claims, int points, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var answered = new Dictionary<string, V1.NodePrepareResourceResponse>(StringComparer.Ordinal);
        string cdi = Path.Combine(root, "cdi");
        string data = Path.Combine(root, "plugins", driverName);
        int midCall = 0;
        int afterAnswer = 0;
        DriverProcess driver = start();
        KubeletPluginConnection plugin = await RegisterAsync(root, driverName, driver, cancellationToken);
        try
        {
            for (int point = 0; point < points; point++)
            {
                Resourcev1ResourceClaim claim = claims[random.Next(claims.Count)];
                string uid = claim.Metadata.Uid;
                bool unprepare = answered.ContainsKey(uid) && random.Next(2) == 0;

                // The call, and a SIGKILL at a random instant of it (a few milliseconds cover a whole prepare here).
                Task<bool> call = unprepare
                    ? plugin.UnprepareAsync([claim], cancellationToken).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default)
                    : plugin.PrepareAsync([claim], cancellationToken).ContinueWith(
                        t =>
                        {
                            if (t.IsCompletedSuccessfully && t.Result.Claims[uid].Error.Length == 0)
                            {
                                lock (answered)
                                {
                                    Assert.True(!answered.TryGetValue(uid, out V1.NodePrepareResourceResponse? before) || before.Equals(t.Result.Claims[uid]), $"point {point}: a repeated prepare of {uid} answered differently");
                                    answered[uid] = t.Result.Claims[uid];
                                }

                                return true;
                            }

                            return false;
                        },
                        TaskScheduler.Default);
                await Task.Delay(TimeSpan.FromMicroseconds(random.Next(0, 6000)), cancellationToken);
                driver.Kill();
                await driver.WaitForExitAsync(TimeSpan.FromSeconds(10));
                bool completed = await call;
                if (completed)
                {
                    afterAnswer++;
                }
                else
                {
                    midCall++;
                }

                await plugin.DisposeAsync();
                await driver.DisposeAsync();
                driver = start();
                plugin = await RegisterAsync(root, driverName, driver, cancellationToken);

                Assert.Empty(Directory.GetFiles(data, "*.corrupt-*"));
                if (unprepare)
                {
                    V1.NodeUnprepareResourcesResponse again = await plugin.UnprepareAsync([claim], cancellationToken);
                    Assert.True(again.Claims[uid].Error.Length == 0, $"point {point}: unprepare of {uid} after the kill failed: {again.Claims[uid].Error}");
                    Assert.Empty(Directory.GetFiles(cdi, $"*{uid}*"));
                    Assert.Equal(string.Empty, (await plugin.UnprepareAsync([claim], cancellationToken)).Claims[uid].Error);
                    answered.Remove(uid);
                }
                else
                {
                    V1.NodePrepareResourceResponse retry = (await plugin.PrepareAsync([claim], cancellationToken)).Claims[uid];
                    Assert.True(retry.Error.Length == 0, $"point {point}: prepare of {uid} after the kill failed: {retry.Error}");
                    Assert.True(!answered.TryGetValue(uid, out V1.NodePrepareResourceResponse? before) || before.Equals(retry), $"point {point}: {uid} answered other ids after the kill");
                    answered[uid] = retry;
                }

                // Every claim the kubelet was told is prepared still answers the same, with its spec in place.
                foreach ((string preparedUid, V1.NodePrepareResourceResponse expected) in answered)
                {
                    Resourcev1ResourceClaim prepared = claims.Single(c => c.Metadata.Uid == preparedUid);
                    Assert.Equal(expected, (await plugin.PrepareAsync([prepared], cancellationToken)).Claims[preparedUid]);
                    Assert.Single(Directory.GetFiles(cdi, $"*{preparedUid}*.json"), f => !Path.GetFileName(f).Contains("_metadata_", StringComparison.Ordinal));

                    // With device metadata on, each metadata id of the answer has its CDI spec too.
                    foreach (string id in expected.Devices.SelectMany(d => d.CdiDeviceIds).Where(i => i.Contains("/metadata=", StringComparison.Ordinal)))
                    {
                        Assert.True(File.Exists(Path.Combine(cdi, id.Replace("/metadata=", "_metadata_", StringComparison.Ordinal) + ".json")), $"point {point}: the metadata spec of {id} is missing");
                    }
                }

                // Temporary files of killed writes: the CDI directory's are removed at start; the checkpoint's are kept for
                // 30 s (another instance may be writing one during a rolling update), then removed by the next write.
                Assert.Empty(Directory.GetFiles(cdi, "*.tmp-*", SearchOption.AllDirectories));
                Assert.All(Directory.GetFiles(data, "*.tmp-*"), f => Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(f) < TimeSpan.FromSeconds(45), $"point {point}: {f} was not removed"));
            }
        }
        finally
        {
            await plugin.DisposeAsync();
            await driver.DisposeAsync();
        }

        string report = $"{driverName}: {points} kills, {midCall} before the answer, {afterAnswer} after it";
        if (Environment.GetEnvironmentVariable("DRASDK_KILL_REPORT") is { Length: > 0 } file)
        {
            await File.AppendAllTextAsync(file, report + Environment.NewLine, cancellationToken);
        }

        return report;
    }

    private static async Task<KubeletPluginConnection> RegisterAsync(string root, string driverName, DriverProcess driver, CancellationToken cancellationToken)
    {
        var kubelet = new FakeKubelet(Path.Combine(root, "reg")) { PollInterval = TimeSpan.FromMilliseconds(5) };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            return await kubelet.WaitForDriverAsync(driverName, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("the driver did not register; output:\n" + driver.Output);
        }
    }
}
