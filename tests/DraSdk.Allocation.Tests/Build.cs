using k8s.Models;

namespace DraSdk.Allocation.Tests;

/// <summary>Small builders for classes, slices, devices and claims used by the case table.</summary>
internal static class Build
{
    public const string Driver = "driver-a";
    public const string Driver2 = "driver-b";
    public const string Node = "node-1";
    public const string ClassA = "class-a";

    public static AllocationNode NodeWith(string name = Node, params (string Key, string Value)[] labels) =>
        new(name, labels.ToDictionary(l => l.Key, l => l.Value));

    public static V1DeviceClass Class(string name = ClassA, params string[] selectors) => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "DeviceClass",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeviceClassSpec { Selectors = Selectors(selectors) },
    };

    public static V1DeviceClass WithConfig(this V1DeviceClass c, string driver, string parameters)
    {
        c.Spec.Config ??= [];
        c.Spec.Config.Add(new V1DeviceClassConfiguration { Opaque = new V1OpaqueDeviceConfiguration { Driver = driver, Parameters = parameters } });
        return c;
    }

    public static IList<V1DeviceSelector>? Selectors(string[] selectors) =>
        selectors.Length == 0 ? null : selectors.Select(s => new V1DeviceSelector { Cel = new V1CELDeviceSelector { Expression = s } }).ToList();

    public static V1Device Dev(string name, params (string Key, object Value)[] attributes) => new()
    {
        Name = name,
        Attributes = attributes.Length == 0 ? null : attributes.ToDictionary(a => a.Key, a => Attr(a.Value)),
    };

    public static V1DeviceAttribute Attr(object value) => value switch
    {
        string s => new V1DeviceAttribute { StringValue = s },
        int i => new V1DeviceAttribute { IntValue = i },
        long l => new V1DeviceAttribute { IntValue = l },
        bool b => new V1DeviceAttribute { BoolValue = b },
        string[] ss => new V1DeviceAttribute { Strings = ss },
        long[] ls => new V1DeviceAttribute { Ints = ls.Select(x => (long?)x).ToList() },
        _ => throw new ArgumentException("unsupported attribute", nameof(value)),
    };

    public static V1Device Taint(this V1Device d, string key, string effect, string? value = null)
    {
        d.Taints ??= [];
        d.Taints.Add(new V1DeviceTaint { Key = key, Effect = effect, Value = value });
        return d;
    }

    public static V1Device Capacity(this V1Device d, string name, string value, V1CapacityRequestPolicy? policy = null)
    {
        d.Capacity ??= new Dictionary<string, V1DeviceCapacity>();
        d.Capacity[name] = new V1DeviceCapacity { Value = new ResourceQuantity(value), RequestPolicy = policy };
        return d;
    }

    public static V1Device Shared(this V1Device d)
    {
        d.AllowMultipleAllocations = true;
        return d;
    }

    public static V1Device Consumes(this V1Device d, string counterSet, params (string Name, string Value)[] counters)
    {
        d.ConsumesCounters ??= [];
        d.ConsumesCounters.Add(new V1DeviceCounterConsumption
        {
            CounterSet = counterSet,
            Counters = counters.ToDictionary(c => c.Name, c => new V1Counter { Value = new ResourceQuantity(c.Value) }),
        });
        return d;
    }

    public static V1Device Binding(this V1Device d, string[] conditions, string[] failure, bool bindsToNode = false)
    {
        d.BindingConditions = conditions;
        d.BindingFailureConditions = failure;
        d.BindsToNode = bindsToNode ? true : null;
        return d;
    }

    public static V1ResourceSlice Slice(string name, string? node, string pool, params V1Device[] devices) =>
        SliceFor(Driver, name, node, pool, 1, 1, devices);

    public static V1ResourceSlice SliceFor(string driver, string name, string? node, string pool, long generation, long count, params V1Device[] devices) => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceSlice",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ResourceSliceSpec
        {
            Driver = driver,
            NodeName = node,
            Pool = new V1ResourcePool { Name = pool, Generation = generation, ResourceSliceCount = count },
            Devices = devices,
        },
    };

    public static V1ResourceSlice AllNodes(this V1ResourceSlice s)
    {
        s.Spec.NodeName = null;
        s.Spec.AllNodes = true;
        return s;
    }

    public static V1ResourceSlice Selected(this V1ResourceSlice s, string key, string op, params string[] values)
    {
        s.Spec.NodeName = null;
        s.Spec.NodeSelector = new V1NodeSelector
        {
            NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = key, OperatorProperty = op, Values = values }] }],
        };
        return s;
    }

    public static V1ResourceSlice Counters(this V1ResourceSlice s, string set, params (string Name, string Value)[] counters)
    {
        s.Spec.SharedCounters ??= [];
        s.Spec.SharedCounters.Add(new V1CounterSet
        {
            Name = set,
            Counters = counters.ToDictionary(c => c.Name, c => new V1Counter { Value = new ResourceQuantity(c.Value) }),
        });
        return s;
    }

    public static V1DeviceRequest Req(string name, string cls = ClassA, long? count = null, params string[] selectors) => new()
    {
        Name = name,
        Exactly = new V1ExactDeviceRequest { DeviceClassName = cls, AllocationMode = "ExactCount", Count = count, Selectors = Selectors(selectors) },
    };

    public static V1DeviceRequest AllReq(string name, string cls = ClassA, params string[] selectors) => new()
    {
        Name = name,
        Exactly = new V1ExactDeviceRequest { DeviceClassName = cls, AllocationMode = "All", Selectors = Selectors(selectors) },
    };

    public static V1DeviceRequest Admin(this V1DeviceRequest r, bool value = true)
    {
        r.Exactly.AdminAccess = value;
        return r;
    }

    public static V1DeviceRequest Tolerate(this V1DeviceRequest r, string? key, string op = "Exists", string? value = null, string? effect = null)
    {
        r.Exactly.Tolerations ??= [];
        r.Exactly.Tolerations.Add(new V1DeviceToleration { Key = key, OperatorProperty = op, Value = value, Effect = effect });
        return r;
    }

    public static V1DeviceRequest WithCapacity(this V1DeviceRequest r, string name, string value)
    {
        r.Exactly.Capacity ??= new V1CapacityRequirements { Requests = new Dictionary<string, ResourceQuantity>() };
        r.Exactly.Capacity.Requests[name] = new ResourceQuantity(value);
        return r;
    }

    public static V1DeviceSubRequest Sub(string name, string cls = ClassA, long? count = null, params string[] selectors) => new()
    {
        Name = name,
        DeviceClassName = cls,
        AllocationMode = "ExactCount",
        Count = count,
        Selectors = Selectors(selectors),
    };

    public static V1DeviceSubRequest AllSub(string name, string cls = ClassA) => new()
    {
        Name = name,
        DeviceClassName = cls,
        AllocationMode = "All",
    };

    public static V1DeviceRequest FirstAvailable(string name, params V1DeviceSubRequest[] subs) => new() { Name = name, FirstAvailable = subs };

    public static Resourcev1ResourceClaim Claim(string name, params V1DeviceRequest[] requests) => new()
    {
        ApiVersion = "resource.k8s.io/v1",
        Kind = "ResourceClaim",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1ResourceClaimSpec { Devices = new V1DeviceClaim { Requests = requests } },
    };

    public static Resourcev1ResourceClaim Match(this Resourcev1ResourceClaim c, string attribute, params string[] requests)
    {
        c.Spec.Devices.Constraints ??= [];
        c.Spec.Devices.Constraints.Add(new V1DeviceConstraint { MatchAttribute = attribute, Requests = requests.Length == 0 ? null : requests });
        return c;
    }

    public static Resourcev1ResourceClaim Distinct(this Resourcev1ResourceClaim c, string attribute, params string[] requests)
    {
        c.Spec.Devices.Constraints ??= [];
        c.Spec.Devices.Constraints.Add(new V1DeviceConstraint { DistinctAttribute = attribute, Requests = requests.Length == 0 ? null : requests });
        return c;
    }

    public static Resourcev1ResourceClaim Config(this Resourcev1ResourceClaim c, string parameters, params string[] requests)
    {
        c.Spec.Devices.Config ??= [];
        c.Spec.Devices.Config.Add(new V1DeviceClaimConfiguration
        {
            Requests = requests.Length == 0 ? null : requests,
            Opaque = new V1OpaqueDeviceConfiguration { Driver = Driver, Parameters = parameters },
        });
        return c;
    }

    /// <summary>An allocated claim with the given devices ("driver/pool/device").</summary>
    public static Resourcev1ResourceClaim Allocated(string name, params string[] devices)
    {
        var claim = Claim(name, Req("req-0"));
        claim.Status = new V1ResourceClaimStatus
        {
            Allocation = new V1AllocationResult
            {
                Devices = new V1DeviceAllocationResult
                {
                    Results = devices.Select(d => d.Split('/')).Select(p => new V1DeviceRequestAllocationResult
                    {
                        Request = "req-0",
                        Driver = p[0],
                        Pool = p[1],
                        Device = p[2],
                    }).ToList(),
                },
            },
        };
        return claim;
    }
}
