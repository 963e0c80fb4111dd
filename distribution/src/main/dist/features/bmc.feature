description = power and boot control through BMCs: machines, jobs, power polling, workflows' boot options; the IPMI (ipmitool) and Redfish drivers
features = api
bundles = io.ironbell.bmc, io.ironbell.bmc.ipmi, io.ironbell.bmc.redfish
