namespace DraSdk.KubeletPlugin.Tests;

public sealed class RequestNamesTests
{
    [Theory]
    [InlineData("gpu", "gpu", false)]
    [InlineData("gpu/large", "gpu", true)]
    public void Base_names_and_subrequests(string reference, string baseName, bool isSubrequest)
    {
        Assert.Equal(baseName, RequestNames.BaseName(reference));
        Assert.Equal(isSubrequest, RequestNames.IsSubrequest(reference));
    }
}
