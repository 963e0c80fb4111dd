/**
 * Power and boot control through machines' baseboard management controllers: the driver SPI
 * ({@link io.ironbell.api.bmc.BmcDriver}, one bundle per BMC dialect), the BMCs of the model
 * ({@link io.ironbell.api.bmc.BmcMachine}) and ordered jobs of BMC tasks
 * ({@link io.ironbell.api.bmc.BmcJob}), shaped as Tinkerbell's Rufio shapes its Machine and Job.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.ironbell.api.bmc;
