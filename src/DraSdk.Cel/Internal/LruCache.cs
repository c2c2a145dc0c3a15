namespace DraSdk.Cel.Internal;

/// <summary>
/// A thread-safe LRU cache whose values are computed once per key: concurrent callers of the same missing key wait
/// for one computation, while other keys proceed.
/// </summary>
internal sealed class LruCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, Lazy<TValue> Value)>> _map = [];
    private readonly LinkedList<(TKey Key, Lazy<TValue> Value)> _order = new();
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public TValue GetOrAdd(TKey key, Func<TKey, TValue> factory)
    {
        Lazy<TValue> lazy;
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                if (node != _order.First)
                {
                    _order.Remove(node);
                    _order.AddFirst(node);
                }

                lazy = node.Value.Value;
            }
            else
            {
                lazy = new Lazy<TValue>(() => factory(key), LazyThreadSafetyMode.ExecutionAndPublication);
                _map[key] = _order.AddFirst((key, lazy));
                if (_map.Count > capacity)
                {
                    var last = _order.Last!;
                    _order.RemoveLast();
                    _map.Remove(last.Value.Key);
                }
            }
        }

        return lazy.Value;
    }
}
