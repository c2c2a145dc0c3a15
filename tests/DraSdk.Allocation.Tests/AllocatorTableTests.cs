namespace DraSdk.Allocation.Tests;

/// <summary>The allocator case table: each case allocates and compares the results, and checks that inputs stay unmodified.</summary>
public sealed class AllocatorTableTests
{
    public static TheoryData<string> Cases => new(AllocatorCases.All.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Allocate(string name) => AllocatorCases.All[name].Run();
}
