global using HeadlessVm.Testing;
global using Xunit;
[assembly: CollectionBehavior(DisableTestParallelization = true)]
