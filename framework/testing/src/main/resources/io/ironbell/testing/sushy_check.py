#!/usr/bin/python3
"""Checks a Redfish service with Ironic's own client library (Debian's python3-sushy): what it
reads and does must work as it works against real BMCs. Usage: sushy_check.py URL USER PASSWORD CA ISO_URL
Prints one line per check; exits 1 at the first that fails."""
import sys, time
import sushy
from sushy import auth

url, user, password, ca, iso = sys.argv[1:6]


def check(what, ok, got=None):
    print(("ok   " if ok else "FAIL ") + what + ("" if got is None else " (got %r)" % (got,)))
    if not ok:
        sys.exit(1)


try:
    sushy.Sushy(url + "/redfish/v1", verify=ca,
                auth=auth.SessionAuth(username=user, password=password + "-wrong")).get_system_collection()
    check("a wrong password is refused", False)
except sushy.exceptions.AccessError:
    check("a wrong password is refused", True)

for name, a in (("session", auth.SessionAuth(username=user, password=password)),
                ("basic", auth.BasicAuth(username=user, password=password))):
    s = sushy.Sushy(url + "/redfish/v1", verify=ca, auth=a)
    members = s.get_system_collection().get_members()
    check(name + " auth: one system", len(members) == 1, len(members))

s = sushy.Sushy(url + "/redfish/v1", verify=ca, auth=auth.SessionAuth(username=user, password=password))
system = s.get_system("/redfish/v1/Systems/1")
check("reset types offered", sushy.ResetType.ON in system.get_allowed_reset_system_values())
system.reset_system(sushy.ResetType.FORCE_OFF)
system.refresh()
check("force off", system.power_state == sushy.PowerState.OFF, system.power_state)
system.set_system_boot_options(sushy.BootSource.PXE, sushy.BootSourceOverrideEnabled.ONCE, sushy.BootSourceOverrideMode.UEFI)
system.refresh()
check("boot override pxe once uefi", (system.boot.target, system.boot.enabled, system.boot.mode)
      == (sushy.BootSource.PXE, sushy.BootSourceOverrideEnabled.ONCE, sushy.BootSourceOverrideMode.UEFI),
      (system.boot.target, system.boot.enabled, system.boot.mode))
system.set_system_boot_options(sushy.BootSource.HDD, sushy.BootSourceOverrideEnabled.CONTINUOUS)
system.refresh()
check("boot override hdd continuous", (system.boot.target, system.boot.enabled)
      == (sushy.BootSource.HDD, sushy.BootSourceOverrideEnabled.CONTINUOUS), (system.boot.target, system.boot.enabled))
manager = s.get_manager("/redfish/v1/Managers/1")
media = manager.virtual_media.get_members()
check("one virtual CD", len(media) == 1 and sushy.VirtualMediaType.CD in media[0].media_types, [m.media_types for m in media])
cd = media[0]
cd.insert_media(iso, inserted=True, write_protected=True)
cd.refresh()
check("media inserted", cd.inserted and cd.image == iso, (cd.inserted, cd.image))
cd.eject_media()
cd.refresh()
check("media ejected", not cd.inserted, cd.inserted)
system.reset_system(sushy.ResetType.ON)
system.refresh()
check("on", system.power_state == sushy.PowerState.ON, system.power_state)
system.reset_system(sushy.ResetType.FORCE_OFF)
system.refresh()
check("off again", system.power_state == sushy.PowerState.OFF, system.power_state)
print("sushy " + sushy.__version__ if hasattr(sushy, "__version__") else "sushy")
