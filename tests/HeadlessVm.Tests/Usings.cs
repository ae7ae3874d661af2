global using HeadlessVm.TestSupport;
global using Xunit;
[assembly: CollectionBehavior(DisableTestParallelization = true)]
