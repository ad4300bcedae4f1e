// Which uevents bring the agent's bus scan forward (uevent_watch.hpp), on messages
// laid out as the kernel sends them, and on broken ones.
#include <gtest/gtest.h>

#include <string>

#include "uevent_watch.hpp"

using pcirig::agent::parse_uevent;
using pcirig::agent::uevent_is_pci;
using namespace std::string_literals;

TEST(Uevent, PciAddRemoveAndBindAreSeen) {
  EXPECT_TRUE(uevent_is_pci("add@/devices/pci0000:00/0000:00:04.0/0000:02:00.0\0ACTION=add\0"
                            "DEVPATH=/devices/pci0000:00/0000:00:04.0/0000:02:00.0\0SUBSYSTEM=pci\0"
                            "PCI_CLASS=10802\0SEQNUM=1234\0"s));
  EXPECT_TRUE(uevent_is_pci("bind@/devices/pci0000:00/0000:00:04.0/0000:02:00.0\0ACTION=bind\0"
                            "SUBSYSTEM=pci\0DRIVER=nvme\0"s));
  // The last field without its NUL (a cut message) still counts.
  EXPECT_TRUE(uevent_is_pci("remove@/devices/x\0ACTION=remove\0SUBSYSTEM=pci"s));
}

TEST(Uevent, OtherSubsystemsAndLookalikesAreNot) {
  EXPECT_FALSE(uevent_is_pci("add@/devices/virtual/block/loop0\0ACTION=add\0SUBSYSTEM=block\0"s));
  EXPECT_FALSE(uevent_is_pci("add@/x\0SUBSYSTEM=pci_bus\0"s));
  EXPECT_FALSE(uevent_is_pci("add@/x\0XSUBSYSTEM=pci\0"s));
  EXPECT_FALSE(uevent_is_pci("add@/SUBSYSTEM=pci\0ACTION=add\0"s));
  EXPECT_FALSE(uevent_is_pci(""));
  EXPECT_FALSE(uevent_is_pci("\0\0\0"s));
}

TEST(Uevent, ADisksAddIsParsedIntoItsFields) {
  auto u = parse_uevent("add@/devices/pci0000:00/0000:00:02.0/0000:03:00.0/nvme/nvme0/nvme0n1\0ACTION=add\0"
                        "DEVPATH=/devices/pci0000:00/0000:00:02.0/0000:03:00.0/nvme/nvme0/nvme0n1\0SUBSYSTEM=block\0"
                        "MAJOR=259\0MINOR=0\0DEVNAME=nvme0n1\0DEVTYPE=disk\0DISKSEQ=3\0SEQNUM=1301\0"s);
  EXPECT_EQ(u.action, "add");
  EXPECT_EQ(u.subsystem, "block");
  EXPECT_EQ(u.devtype, "disk");
  EXPECT_EQ(u.devname, "nvme0n1");
}

TEST(Uevent, BrokenFieldsLeaveTheirValuesEmpty) {
  auto u = parse_uevent("add@/x\0ACTION\0DEVTYPEX=disk\0=block\0DEVNAME=\0SUBSYSTEM=bl"s);
  EXPECT_EQ(u.action, "");
  EXPECT_EQ(u.devtype, "");
  EXPECT_EQ(u.devname, "");
  EXPECT_EQ(u.subsystem, "bl");  // a cut last field is what it is
  // The header is never a field, even when it looks like one.
  EXPECT_EQ(parse_uevent("DEVNAME=sda\0ACTION=add"s).devname, "");
}
