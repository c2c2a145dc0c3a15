using System.Text.Json;

namespace DraSdk.Checkpoint.KillHarness;

/// <summary>
/// The deterministic mutation sequence shared by the harness (which applies it to a real store) and the kill
/// test (which replays it in memory to know what every saved state must look like). Step n touches slot
/// n % Slots: an absent claim is started, a started one completed, a completed one removed.
/// </summary>
internal static class KillScript
{
    public const int Slots = 12;

    private static readonly string Padding = new('x', 2048);

    public static string Uid(int slot) => $"claim-{slot:D2}";

    /// <summary>Applies step <paramref name="step"/> (1-based) to the store.</summary>
    public static void Apply(PreparedClaimStore store, int step)
    {
        int slot = step % Slots;
        if (!store.TryGet(Uid(slot), out PreparedClaimRecord? existing))
        {
            store.MarkPrepareStarted(Record(slot, step));
        }
        else if (existing.State == PreparedClaimState.PrepareStarted)
        {
            store.MarkPrepareCompleted(Record(slot, step));
        }
        else
        {
            store.Remove(Uid(slot));
        }
    }

    /// <summary>The state after <paramref name="steps"/> steps from empty: uid → (state, step that wrote it).</summary>
    public static Dictionary<string, (PreparedClaimState State, int Step)> Simulate(int steps)
    {
        var model = new Dictionary<string, (PreparedClaimState State, int Step)>(StringComparer.Ordinal);
        for (int step = 1; step <= steps; step++)
        {
            string uid = Uid(step % Slots);
            if (!model.TryGetValue(uid, out var existing))
            {
                model[uid] = (PreparedClaimState.PrepareStarted, step);
            }
            else if (existing.State == PreparedClaimState.PrepareStarted)
            {
                model[uid] = (PreparedClaimState.PrepareCompleted, step);
            }
            else
            {
                model.Remove(uid);
            }
        }

        return model;
    }

    /// <summary>The UID of the <paramref name="index"/>th claim the "add" mode adds under <paramref name="prefix"/>.</summary>
    public static string AddedUid(string prefix, int index) => $"{prefix}-{index:D4}";

    /// <summary>The <paramref name="index"/>th claim the "add" mode adds under <paramref name="prefix"/>.</summary>
    public static PreparedClaimRecord Added(string prefix, int index) => new()
    {
        ClaimUid = AddedUid(prefix, index),
        Namespace = "multi-instance",
        Name = $"{prefix}-claim-{index}",
        Devices =
        [
            new PreparedDeviceRecord
            {
                Requests = ["gpu"],
                PoolName = "node-a",
                DeviceName = $"{prefix}-gpu-{index % 8}",
                CdiDeviceIds = [$"k8s.gpu.example.com/claim={AddedUid(prefix, index)}"],
            },
        ],
    };

    /// <summary>The record step <paramref name="step"/> writes for <paramref name="slot"/>.</summary>
    public static PreparedClaimRecord Record(int slot, int step) => new()
    {
        ClaimUid = Uid(slot),
        Namespace = "kill-test",
        Name = $"claim-{slot}",
        Devices =
        [
            new PreparedDeviceRecord
            {
                Requests = ["gpu"],
                PoolName = "node-a",
                DeviceName = $"gpu-{slot}",
                CdiDeviceIds = [$"k8s.gpu.example.com/claim={Uid(slot)}-gpu-{slot}"],
                ShareId = step % 2 == 0 ? null : $"share-{step}",
            },
        ],
        DriverData = JsonSerializer.SerializeToElement(
            new Dictionary<string, string> { ["step"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture), ["pad"] = Padding },
            KillScriptJsonContext.Default.DictionaryStringString),
    };
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class KillScriptJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
