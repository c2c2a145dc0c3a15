using DraSdk.ResourceSlices.Internal;
using k8s.Models;

namespace DraSdk.ResourceSlices.Tests;

public sealed class ModelTests
{
    [Theory]
    [InlineData(0, "gpu.example.com", "node-a", "00000-gpu-example-com-node-a-")]
    [InlineData(26, "gpu.example.com", "Node_A.local", "0001a-gpu-example-com-node-a-local-")]
    [InlineData(0x12345f, "x..y", "worker.1", "12345f-x-y-worker-1-")]
    [InlineData(3, "nic.example.com", null, "00003-nic-example-com-")]
    public void GenerateName_is_the_hex_index_then_driver_and_owner_with_invalid_characters_replaced(int index, string driver, string? owner, string expected)
    {
        Assert.Equal(expected, SliceNames.GenerateName(index, driver, owner));
        Assert.Equal(index, SliceNames.IndexOf(expected + "x7b2k"));
    }

    [Fact]
    public void GenerateName_is_cut_to_58_characters_and_still_ends_with_a_dash()
    {
        string name = SliceNames.GenerateName(7, "a-very-long-driver-name.example.com", new string('n', 40));
        Assert.Equal(58, name.Length);
        Assert.StartsWith("00007-", name, StringComparison.Ordinal);
        Assert.EndsWith("-", name, StringComparison.Ordinal);
        Assert.DoesNotContain("--", name, StringComparison.Ordinal);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*)-$", name);
    }

    [Theory]
    [InlineData("node-a-gpu-example-com-x7b2k")]
    [InlineData("0000-gpu-x7b2k")]
    [InlineData("0000g-gpu-x7b2k")]
    [InlineData("00000")]
    [InlineData("")]
    public void Names_without_a_hex_index_prefix_have_no_index(string name) => Assert.Null(SliceNames.IndexOf(name));

    [Fact]
    public void Content_ignores_member_order_nulls_empty_collections_and_the_pool()
    {
        var a = new V1ResourceSliceSpec
        {
            Driver = "d",
            NodeName = "n",
            Pool = new V1ResourcePool { Name = "n", Generation = 1, ResourceSliceCount = 1 },
            Devices =
            [
                new V1Device
                {
                    Name = "gpu-0",
                    Attributes = new Dictionary<string, V1DeviceAttribute> { ["a"] = new() { IntValue = 1 }, ["b"] = new() { StringValue = "x" } },
                    Taints = [],
                },
            ],
        };
        var b = new V1ResourceSliceSpec
        {
            NodeName = "n",
            Driver = "d",
            Pool = new V1ResourcePool { Name = "n", Generation = 7, ResourceSliceCount = 1 },
            Devices =
            [
                new V1Device
                {
                    Name = "gpu-0",
                    Attributes = new Dictionary<string, V1DeviceAttribute> { ["b"] = new() { StringValue = "x" }, ["a"] = new() { IntValue = 1 } },
                    Capacity = new Dictionary<string, V1DeviceCapacity>(),
                },
            ],
        };

        Assert.True(SliceContent.AreEqual(SliceContent.Of(a), SliceContent.Of(b)));

        b.Devices[0].Attributes["a"] = new V1DeviceAttribute { IntValue = 2 };
        Assert.False(SliceContent.AreEqual(SliceContent.Of(a), SliceContent.Of(b)));
    }

    [Fact]
    public void Content_is_sensitive_to_device_order()
    {
        var a = new V1ResourceSliceSpec { Devices = [new V1Device { Name = "x" }, new V1Device { Name = "y" }] };
        var b = new V1ResourceSliceSpec { Devices = [new V1Device { Name = "y" }, new V1Device { Name = "x" }] };
        Assert.False(SliceContent.AreEqual(SliceContent.Of(a), SliceContent.Of(b)));
    }

    [Fact]
    public void Desired_state_is_a_deep_copy()
    {
        var device = new V1Device { Name = "gpu-0", Attributes = new Dictionary<string, V1DeviceAttribute> { ["model"] = new() { StringValue = "A" } } };
        DesiredState state = DesiredState.Create(DriverResources.ForNode("node-a", [device]), "d", "node-a", 1);
        device.Attributes["model"] = new V1DeviceAttribute { StringValue = "B" };
        device.Name = "changed";

        DesiredSlice slice = Assert.Single(Assert.Single(state.Pools).Value.Slices);
        Assert.Equal("gpu-0", Assert.Single(slice.Spec.Devices).Name);
        Assert.Equal("A", slice.Spec.Devices[0].Attributes["model"].StringValue);
    }

    [Fact]
    public void Invalid_resources_are_rejected_with_a_clear_message()
    {
        ArgumentException duplicate = Assert.Throws<ArgumentException>(() => DesiredState.Create(
            new DriverResources
            {
                Pools = new Dictionary<string, Pool>
                {
                    ["node-a"] = new() { Slices = [new Slice { Devices = [new V1Device { Name = "gpu-0" }] }, new Slice { Devices = [new V1Device { Name = "gpu-0" }] }] },
                },
            },
            "d",
            "node-a",
            1));
        Assert.Contains("'gpu-0' appears more than once in pool 'node-a'", duplicate.Message, StringComparison.Ordinal);

        ArgumentException noSlices = Assert.Throws<ArgumentException>(() => DesiredState.Create(
            new DriverResources { Pools = new Dictionary<string, Pool> { ["node-a"] = new() } }, "d", "node-a", 1));
        Assert.Contains("has no slices", noSlices.Message, StringComparison.Ordinal);

        ArgumentException badName = Assert.Throws<ArgumentException>(() => DesiredState.Create(
            new DriverResources { Pools = new Dictionary<string, Pool> { ["Bad Name"] = new() { Slices = [new Slice()] } } }, "d", "node-a", 1));
        Assert.Contains("pool 'Bad Name': the name is not valid", badName.Message, StringComparison.Ordinal);

        ArgumentException unnamed = Assert.Throws<ArgumentException>(() => DesiredState.Create(
            DriverResources.ForNode("node-a", [new V1Device()]), "d", "node-a", 1));
        Assert.Contains("has no name", unnamed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pool_names_may_have_slash_separated_segments()
    {
        Assert.Null(ResourceValidation.ValidatePoolName("node-a"));
        Assert.Null(ResourceValidation.ValidatePoolName("example.com/rack-1"));
        Assert.NotNull(ResourceValidation.ValidatePoolName("a//b"));
        Assert.NotNull(ResourceValidation.ValidatePoolName(new string('a', 254)));
    }
}
