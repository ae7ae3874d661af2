global using HeadlessVm.TestSupport;
global using Xunit;
