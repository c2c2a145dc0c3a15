using k8s;
using k8s.Models;

namespace DraSdk.Allocation.Tests;

/// <summary>One row of the allocator case table.</summary>
internal sealed class AllocatorCase
{
    public required string Name { get; init; }
    public AllocatorFeatures Features { get; init; } = AllocatorFeatures.All;
    public required Resourcev1ResourceClaim[] Claims { get; init; }
    public Resourcev1ResourceClaim[] AllocatedClaims { get; init; } = [];
    public V1DeviceClass[] Classes { get; init; } = [Build.Class()];
    public V1ResourceSlice[] Slices { get; init; } = [];
    public AllocationNode Node { get; init; } = Build.NodeWith();

    /// <summary>Per claim, "request=driver/pool/device" in result order; null means: does not fit.</summary>
    public string[][]? Expect { get; init; }

    /// <summary>A substring of the expected <see cref="AllocationException"/> message.</summary>
    public string? ExpectError { get; init; }

    /// <summary>Further checks on the results.</summary>
    public Action<IReadOnlyList<V1AllocationResult>>? Check { get; init; }

    public override string ToString() => Name;

    public void Run()
    {
        var before = Snapshot();
        var allocator = new Allocator(Classes, Slices, Features);
        var state = AllocatedState.FromClaims(AllocatedClaims);
        IReadOnlyList<V1AllocationResult>? results = null;
        AllocationException? error = null;
        try
        {
            results = allocator.Allocate(Node, Claims, state, TestContext.Current.CancellationToken);
        }
        catch (AllocationException e)
        {
            error = e;
        }

        if (ExpectError is not null)
        {
            Assert.NotNull(error);
            Assert.Contains(ExpectError, error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(error);
            if (Expect is null)
            {
                Assert.Null(results);
            }
            else
            {
                Assert.NotNull(results);
                var actual = results.Select(r => r.Devices.Results.Select(d => $"{d.Request}={d.Driver}/{d.Pool}/{d.Device}").ToArray()).ToArray();
                Assert.Equal(Expect.Select(e => string.Join(", ", e)), actual.Select(a => string.Join(", ", a)));
                Check?.Invoke(results);
            }
        }
        Assert.Equal(before, Snapshot());
    }

    private string Snapshot() => KubernetesJson.Serialize(new object[] { Claims, AllocatedClaims, Classes, Slices });
}
