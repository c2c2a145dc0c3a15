using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DraSdk.Allocation;
using DraSdk.Cel;
using k8s;
using k8s.Models;

namespace DraSdk.Cli;

/// <summary>The dra commands. Exit codes: 0 success, 1 does not fit, 2 invalid input or usage.</summary>
internal static class CliApp
{
    public const int Ok = 0;
    public const int Unsatisfiable = 1;
    public const int Invalid = 2;

    private const string MainUsage = """
        dra: Kubernetes DRA allocation and CEL tools, offline.

        Usage:
          dra allocate -f <file>... --node <name> [--node-label key=value]... [--features <list>|none] [--claim <namespace>/<name>]... [--pod <namespace>/<name>] [-o json|yaml]
          dra explain  -f <file>... --node <name> [--node-label key=value]... [--features <list>|none] [--claim <namespace>/<name>]... [--pod <namespace>/<name>] [-o text|json|yaml]
          dra cel -e <expression> -f <file>... [--features <list>|none] [-o text|json|yaml]

        Files are YAML (multi-document) or JSON (an object, a List, or an array) with DeviceClass,
        ResourceSlice, ResourceClaim, ResourceClaimTemplate, Pod and Node objects.
        Features: AdminAccess, PrioritizedList, PartitionableDevices, DeviceTaints,
        DeviceBindingAndStatus, ConsumableCapacity, ListTypeAttributes (default: all).

        Exit codes: 0 allocated / ok, 1 unsatisfiable, 2 invalid input.
        Run 'dra <command> --help' for details.
        """;

    private const string AllocateUsage = """
        Usage: dra allocate -f <file>... --node <name> [options]

        Allocates the claims of one pod on the node, as the scheduler would. Claims with
        status.allocation are already allocated: their devices, share IDs and consumed capacity
        are in use. The claims to allocate are those named by --claim, in that order, or else every
        unallocated claim in document order; they are allocated together.

        With --pod (or when the input holds exactly one Pod and no --claim is given) the pod's claims
        are allocated instead: those of spec.resourceClaims (resourceClaimName, or a claim generated
        from resourceClaimTemplateName) and, for the containers' extended-resource requests
        (nvidia.com/gpu: 1), the claim the scheduler creates (DRAExtendedResource): one ExactCount
        request per container for a resource that a DeviceClass maps (spec.extendedResourceName or
        deviceclass.resource.kubernetes.io/<class>), unless the node advertises the resource in
        status.allocatable, in which case its device plugin serves it and DRA does not.

        Options:
          -f, --file <file>            input file; repeatable
          --node <name>                the node to allocate on (labels come from a Node object of that name, if given)
          --node-label <key=value>     a node label; repeatable
          --features <list>|none       comma-separated allocator features (default: all)
          --claim <namespace>/<name>   a claim to allocate; repeatable
          --pod <namespace>/<name>     allocate this pod's claims and extended resources
          --node-allocatable <name=quantity>
                                       a resource in the node's status.allocatable (a device plugin's); repeatable
          -o, --output json|yaml       output format (default: json)

        Output: {"node", "outcome": "allocated", "claims": [{"namespace", "name", "allocation"}]} with exit code 0,
        {"node", "outcome": "unsatisfiable", "explanation"} with exit code 1; invalid input exits 2.
        For a pod also "pod", "extendedResources" ([{"resource", "deviceClass", "servedBy": "dra"|"devicePlugin"|"unavailable"}]),
        "containers" ([{"container", "resource" or "podClaim", "servedBy", "claim", "request", "devices"}]) and
        "extendedResourceClaimStatus" (what the scheduler writes to the pod's status).
        """;

    private const string ExplainUsage = """
        Usage: dra explain -f <file>... --node <name> [options]

        Explains, per request, how many devices were in scope and how many each cause removed
        (class selector, request selector, node, pool, in use, taint, counters, capacity, constraint).
        Takes the same options as 'dra allocate'; -o text (default), json or yaml.
        Exit code 0 when the claims fit, 1 when they do not, 2 for invalid input.
        """;

    private const string CelUsage = """
        Usage: dra cel -e <expression> -f <file>... [--features <list>|none] [-o text|json|yaml]

        Evaluates a CEL device selector against every device of the given ResourceSlices.
        Text output: one line per device with true, false or the error. JSON output: an array of
        {"driver", "pool", "device", "result": true|false|null, "error": string|null}.
        A compile error exits 2 with its position on stderr.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool colors = false)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(MainUsage);
            return args.Length == 0 ? Invalid : Ok;
        }
        var command = args[0];
        var usage = command switch
        {
            "allocate" => AllocateUsage,
            "explain" => ExplainUsage,
            "cel" => CelUsage,
            _ => null,
        };
        if (usage is null)
        {
            stderr.WriteLine($"error: unknown command '{command}'");
            stderr.WriteLine(MainUsage);
            return Invalid;
        }
        Options options;
        try
        {
            options = Options.Parse(args[1..], command);
            if (!options.Help && command is ("allocate" or "explain") && options.Node is null)
            {
                throw new InputException("--node is required");
            }
        }
        catch (InputException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            stderr.WriteLine($"Run 'dra {command} --help' for usage.");
            return Invalid;
        }
        if (options.Help)
        {
            stdout.WriteLine(usage);
            return Ok;
        }
        try
        {
            return command switch
            {
                "allocate" => Allocate(options, stdout, stderr, explainOnly: false, colors),
                "explain" => Allocate(options, stdout, stderr, explainOnly: true, colors),
                _ => Cel(options, stdout, stderr, colors),
            };
        }
        catch (InputException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return Invalid;
        }
    }

    private static int Allocate(Options options, TextWriter stdout, TextWriter stderr, bool explainOnly, bool colors)
    {
        if (options.Node is null)
        {
            throw new InputException("--node is required");
        }

        var input = InputSet.Load(options.Files);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in input.Nodes.Where(n => n.Object.Metadata.Name == options.Node))
        {
            foreach (var (key, value) in node.Object.Metadata.Labels ?? new Dictionary<string, string>())
            {
                labels[key] = value;
            }
        }
        foreach (var (key, value) in options.NodeLabels)
        {
            labels[key] = value;
        }
        var allocationNode = new AllocationNode(options.Node, labels);
        var allocatable = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (var node in input.Nodes.Where(n => n.Object.Metadata.Name == options.Node))
        {
            foreach (var (key, value) in node.Object.Status?.Allocatable ?? new Dictionary<string, ResourceQuantity>())
            {
                allocatable[key] = value;
            }
        }
        foreach (var (key, value) in options.NodeAllocatable)
        {
            allocatable[key] = value;
        }

        PodInput? pod = null;
        var classes = input.Classes.Select(c => c.Object).ToList();
        if (options.Pod is not null)
        {
            var found = input.Pods.FirstOrDefault(p => $"{p.Object.Metadata.NamespaceProperty}/{p.Object.Metadata.Name}" == options.Pod)
                ?? throw new InputException($"--pod {options.Pod}: no such Pod in the input");
            pod = PodInput.Resolve(input, found, classes, allocatable);
        }
        else if (options.Claims.Count == 0 && input.Pods.Count > 0)
        {
            if (input.Pods.Count > 1)
            {
                throw new InputException($"the input holds {input.Pods.Count} Pods ({string.Join(", ", input.Pods.Select(p => $"{p.Object.Metadata.NamespaceProperty}/{p.Object.Metadata.Name}"))}): name one with --pod");
            }
            pod = PodInput.Resolve(input, input.Pods[0], classes, allocatable);
        }
        else if (options.Claims.Count > 0 && input.Pods.Count > 0)
        {
            stderr.WriteLine("note: --claim given, so the input's Pods are ignored");
        }

        List<Sourced<Resourcev1ResourceClaim>> toAllocate;
        var inputClaims = input.Claims.ToList();
        if (pod is not null)
        {
            // The pod's own claims that are not allocated yet, then the extended-resource claim; allocated ones stay in use.
            toAllocate = pod.Claims.Select(c => c.Claim).Where(c => c.Object.Status?.Allocation is null)
                .DistinctBy(c => c.Object, ReferenceEqualityComparer.Instance).ToList();
            if (pod.ExtendedClaim is { } extendedClaim && extendedClaim.Object.Status?.Allocation is null)
            {
                toAllocate.Add(extendedClaim);
            }
            // Other unallocated claims of the input are not the pod's: they hold nothing.
            inputClaims = inputClaims.Where(c => c.Object.Status?.Allocation is not null).ToList();
        }
        else if (options.Claims.Count > 0)
        {
            toAllocate = [];
            foreach (var wanted in options.Claims)
            {
                var found = input.Claims.FirstOrDefault(c => $"{c.Object.Metadata.NamespaceProperty}/{c.Object.Metadata.Name}" == wanted)
                    ?? throw new InputException($"--claim {wanted}: no such ResourceClaim in the input");
                toAllocate.Add(found);
            }
        }
        else
        {
            toAllocate = input.Claims.Where(c => c.Object.Status?.Allocation is null).ToList();
        }
        var selected = toAllocate.Select(c => c.Object).ToHashSet(ReferenceEqualityComparer.Instance);
        var allocated = AllocatedState.FromClaims(inputClaims.Select(c => c.Object).Where(c => !selected.Contains(c)));
        var allocator = new Allocator(classes, input.Slices.Select(s => s.Object), options.Features);
        var claims = toAllocate.Select(c => c.Object).ToList();
        var extendedFits = pod?.Extended.Fits ?? true;

        if (explainOnly)
        {
            var explanation = allocator.Explain(allocationNode, claims, allocated);
            if (explanation.Error is not null && !explanation.Fits)
            {
                stderr.WriteLine($"error: {Locate(explanation.Error, toAllocate)}");
            }
            var fits = explanation.Fits && extendedFits;
            if (options.Output == "text")
            {
                if (pod is not null)
                {
                    ExplanationText.WritePod(pod, options.Node, stdout, colors);
                }
                ExplanationText.Write(explanation, stdout, colors);
            }
            else
            {
                var explained = ExplanationJson(explanation);
                if (pod is not null)
                {
                    explained["fits"] = fits;
                    explained["pod"] = pod.Id;
                    explained["extendedResources"] = pod.ExtendedResourcesJson();
                }
                Output.Write(explained, options.Output, stdout);
            }
            return fits ? Ok : explanation.Error is not null ? Invalid : Unsatisfiable;
        }

        IReadOnlyList<V1AllocationResult>? results;
        try
        {
            results = allocator.Allocate(allocationNode, claims, allocated);
        }
        catch (AllocationException e)
        {
            throw new InputException(Locate(e.Message, toAllocate, e.Claim));
        }
        var json = new JsonObject { ["node"] = options.Node };
        if (pod is not null)
        {
            json["pod"] = pod.Id;
            json["extendedResources"] = pod.ExtendedResourcesJson();
        }
        if (results is null || !extendedFits)
        {
            json["outcome"] = "unsatisfiable";
            if (!extendedFits)
            {
                json["reason"] = string.Join("; ", pod!.Extended.Resources.Where(r => r.Source == ExtendedResourceSource.Unavailable)
                    .Select(r => $"{r.ResourceName}: no DeviceClass maps it and node {options.Node} does not advertise it"));
            }
            json["explanation"] = ExplanationJson(allocator.Explain(allocationNode, claims, allocated));
            Output.Write(json, options.Output, stdout);
            return Unsatisfiable;
        }
        json["outcome"] = "allocated";
        var array = new JsonArray();
        var byClaim = new Dictionary<Resourcev1ResourceClaim, V1AllocationResult>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < claims.Count; i++)
        {
            byClaim[claims[i]] = results[i];
            var entry = new JsonObject
            {
                ["namespace"] = claims[i].Metadata.NamespaceProperty,
                ["name"] = claims[i].Metadata.Name,
            };
            if (pod is not null && (ReferenceEquals(claims[i], pod.ExtendedClaim?.Object) || pod.Claims.Any(c => c.Template is not null && ReferenceEquals(c.Claim.Object, claims[i]) && c.Claim.Object.Metadata.GenerateName is not null)))
            {
                // A claim the scheduler or the ResourceClaim controller would create: show it whole (the API server adds a random suffix to generateName).
                var created = JsonNode.Parse(KubernetesJson.Serialize(claims[i]))!.AsObject();
                entry["generated"] = new JsonObject { ["metadata"] = created["metadata"]?.DeepClone(), ["spec"] = created["spec"]?.DeepClone() };
            }
            entry["allocation"] = JsonNode.Parse(KubernetesJson.Serialize(results[i]));
            array.Add(entry);
        }
        json["claims"] = array;
        if (pod is not null)
        {
            json["containers"] = pod.ContainersJson(byClaim);
            json["extendedResourceClaimStatus"] = pod.ExtendedStatusJson();
        }
        Output.Write(json, options.Output, stdout);
        return Ok;
    }

    /// <summary>Prefixes an allocator error with the file of the claim it is about.</summary>
    private static string Locate(string message, List<Sourced<Resourcev1ResourceClaim>> claims, string? claim = null)
    {
        var source = claims.FirstOrDefault(c => claim is not null
            ? $"{c.Object.Metadata.NamespaceProperty}/{c.Object.Metadata.Name}" == claim
            : message.Contains($"claim {c.Object.Metadata.NamespaceProperty}/{c.Object.Metadata.Name}", StringComparison.Ordinal));
        return source is null ? message : $"{source.File}: {source.Describe}: {message}";
    }

    internal static JsonObject ExplanationJson(AllocationExplanation explanation)
    {
        var claims = new JsonArray();
        foreach (var claim in explanation.Claims)
        {
            var requests = new JsonArray();
            foreach (var request in claim.Requests)
            {
                var removed = new JsonObject();
                foreach (var (reason, count) in request.Removed)
                {
                    removed[JsonNamingPolicy.CamelCase.ConvertName(reason.ToString())] = count;
                }
                requests.Add(new JsonObject
                {
                    ["request"] = request.Request,
                    ["deviceClass"] = request.DeviceClass,
                    ["allocationMode"] = request.AllocationMode,
                    ["needed"] = request.Needed,
                    ["inScope"] = request.InScope,
                    ["removed"] = removed,
                    ["available"] = request.Available,
                    ["satisfiable"] = request.Satisfiable,
                    ["selectorError"] = request.SelectorError,
                });
            }
            claims.Add(new JsonObject { ["namespace"] = claim.Namespace, ["name"] = claim.Name, ["requests"] = requests });
        }
        return new JsonObject
        {
            ["fits"] = explanation.Fits,
            ["error"] = explanation.Error,
            ["claims"] = claims,
        };
    }

    private static int Cel(Options options, TextWriter stdout, TextWriter stderr, bool colors)
    {
        if (options.Expression is null)
        {
            throw new InputException("-e <expression> is required");
        }
        var celFeatures = CelFeatures.None;
        if (options.Features.HasFlag(AllocatorFeatures.ListTypeAttributes))
        {
            celFeatures |= CelFeatures.ListTypeAttributes;
        }
        if (options.Features.HasFlag(AllocatorFeatures.ConsumableCapacity))
        {
            celFeatures |= CelFeatures.ConsumableCapacity;
        }
        var environment = CelEnvironment.Create(celFeatures);
        if (!environment.TryCompile(options.Expression, out var program, out var error))
        {
            stderr.WriteLine($"error: CEL compile error at line {error!.Line}, column {error.Column} (position {error.Position}): {error.Message}");
            return Invalid;
        }
        var input = InputSet.Load(options.Files);
        var results = new JsonArray();
        foreach (var slice in input.Slices)
        {
            foreach (var device in slice.Object.Spec.Devices ?? [])
            {
                var result = program!.Evaluate(CelDevice.From(slice.Object.Spec.Driver, device));
                var id = $"{slice.Object.Spec.Driver}/{slice.Object.Spec.Pool.Name}/{device.Name}";
                if (options.Output == "text")
                {
                    var text = result.IsError
                        ? Paint($"error: {result.Error}", "31", colors)
                        : result.Value == true ? Paint("true", "32", colors) : Paint("false", "33", colors);
                    stdout.WriteLine($"{id}: {text}");
                }
                else
                {
                    results.Add(new JsonObject
                    {
                        ["driver"] = slice.Object.Spec.Driver,
                        ["pool"] = slice.Object.Spec.Pool.Name,
                        ["device"] = device.Name,
                        ["result"] = result.IsError ? null : result.Value,
                        ["error"] = result.Error,
                    });
                }
            }
        }
        if (options.Output != "text")
        {
            Output.Write(results, options.Output, stdout);
        }
        return Ok;
    }

    internal static string Paint(string text, string code, bool colors) => colors ? $"\u001b[{code}m{text}\u001b[0m" : text;

    /// <summary>Command-line options, parsed by hand.</summary>
    private sealed class Options
    {
        public List<string> Files { get; } = [];
        public string? Node { get; private set; }
        public List<(string Key, string Value)> NodeLabels { get; } = [];
        public AllocatorFeatures Features { get; private set; } = AllocatorFeatures.All;
        public List<string> Claims { get; } = [];
        public string? Pod { get; private set; }
        public List<(string Key, ResourceQuantity Value)> NodeAllocatable { get; } = [];
        public string Output { get; private set; } = "";
        public string? Expression { get; private set; }
        public bool Help { get; private set; }

        public static Options Parse(string[] args, string command)
        {
            var options = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                string? inline = null;
                if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
                {
                    inline = arg[(eq + 1)..];
                    arg = arg[..eq];
                }
                switch (arg)
                {
                    case "-h" or "--help":
                        options.Help = true;
                        break;
                    case "-f" or "--file" or "--filename":
                        options.Files.Add(Value());
                        break;
                    case "--node" when command != "cel":
                        options.Node = Value();
                        break;
                    case "--node-label" when command != "cel":
                        var label = Value();
                        var split = label.IndexOf('=', StringComparison.Ordinal);
                        if (split <= 0)
                        {
                            throw new InputException($"--node-label {label}: expected key=value");
                        }
                        options.NodeLabels.Add((label[..split], label[(split + 1)..]));
                        break;
                    case "--claim" when command != "cel":
                        var claim = Value();
                        if (!claim.Contains('/', StringComparison.Ordinal))
                        {
                            throw new InputException($"--claim {claim}: expected <namespace>/<name>");
                        }
                        options.Claims.Add(claim);
                        break;
                    case "--pod" when command != "cel":
                        var pod = Value();
                        if (!pod.Contains('/', StringComparison.Ordinal))
                        {
                            throw new InputException($"--pod {pod}: expected <namespace>/<name>");
                        }
                        options.Pod = pod;
                        break;
                    case "--node-allocatable" when command != "cel":
                        var resource = Value();
                        var at = resource.IndexOf('=', StringComparison.Ordinal);
                        ResourceQuantity? quantity = null;
                        try
                        {
                            quantity = at > 0 ? new ResourceQuantity(resource[(at + 1)..]) : null;
                            _ = quantity?.ToDecimal();
                        }
                        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
                        {
                            quantity = null;
                        }
                        if (quantity is null)
                        {
                            throw new InputException($"--node-allocatable {resource}: expected name=quantity");
                        }
                        options.NodeAllocatable.Add((resource[..at], quantity));
                        break;
                    case "--features":
                        options.Features = ParseFeatures(Value());
                        break;
                    case "-e" or "--expression" when command == "cel":
                        options.Expression = Value();
                        break;
                    case "-o" or "--output":
                        options.Output = Value();
                        break;
                    default:
                        throw new InputException($"unknown option '{args[i]}'");
                }

                string Value()
                {
                    if (inline is not null)
                    {
                        return inline;
                    }
                    if (i + 1 >= args.Length)
                    {
                        throw new InputException($"{arg} needs a value");
                    }
                    return args[++i];
                }
            }
            var allowed = command == "allocate" ? new[] { "json", "yaml" } : ["text", "json", "yaml"];
            if (options.Output == "")
            {
                options.Output = allowed[0];
            }
            if (!allowed.Contains(options.Output))
            {
                throw new InputException($"-o {options.Output}: expected one of {string.Join(", ", allowed)}");
            }
            if (options.Pod is not null && options.Claims.Count > 0)
            {
                throw new InputException("--pod and --claim cannot be combined");
            }
            if (!options.Help && options.Files.Count == 0)
            {
                throw new InputException("at least one -f <file> is required");
            }
            return options;
        }

        private static AllocatorFeatures ParseFeatures(string list)
        {
            if (list.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                return AllocatorFeatures.None;
            }
            var features = AllocatorFeatures.None;
            foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Enum.TryParse<AllocatorFeatures>(name, ignoreCase: true, out var feature) || int.TryParse(name, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    throw new InputException($"--features: unknown feature '{name}' (known: {string.Join(", ", Enum.GetNames<AllocatorFeatures>().Where(n => n is not ("None" or "All")))}, or none)");
                }
                features |= feature;
            }
            return features;
        }
    }
}
