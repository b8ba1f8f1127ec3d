# Helpers shared by every CMakeLists.txt in the tree.

# postern_require_pkg(VAR module debian-package): pkg-config lookup that
# names the Debian package to install when it fails.
function(postern_require_pkg var module debpkg)
	pkg_check_modules(${var} QUIET IMPORTED_TARGET ${module})
	if(NOT ${var}_FOUND)
		message(FATAL_ERROR "Postern needs ${module}: install the "
			"Debian package ${debpkg} (apt-get install ${debpkg})")
	endif()
endfunction()

# postern_require_lib(VAR library header debian-package): for libraries
# that ship no pkg-config file (libdb, libspf2, libopendmarc).
function(postern_require_lib var lib header debpkg)
	find_library(${var}_LIBRARY NAMES ${lib})
	find_path(${var}_INCLUDE_DIR NAMES ${header})
	if(NOT ${var}_LIBRARY OR NOT ${var}_INCLUDE_DIR)
		message(FATAL_ERROR "Postern needs lib${lib} (${header}): "
			"install the Debian package ${debpkg} "
			"(apt-get install ${debpkg})")
	endif()
	add_library(${var}::${var} UNKNOWN IMPORTED GLOBAL)
	set_target_properties(${var}::${var} PROPERTIES
		IMPORTED_LOCATION ${${var}_LIBRARY}
		INTERFACE_INCLUDE_DIRECTORIES ${${var}_INCLUDE_DIR})
endfunction()

# add_daemon(name sources...): a daemon under libexec/postern.
function(add_daemon name)
	add_executable(${name} ${ARGN})
	target_link_libraries(${name} PRIVATE postern_mail postern_util)
	set_target_properties(${name} PROPERTIES
		RUNTIME_OUTPUT_DIRECTORY ${POSTERN_DAEMON_OUTPUT})
	install(TARGETS ${name}
		RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/postern)
endfunction()

# add_unit_test(name source [libs...]): a unit test beside its module,
# run by ctest under the label "unit".
function(add_unit_test name src)
	add_executable(${name} ${src})
	target_link_libraries(${name} PRIVATE ${ARGN} postern_util)
	set_target_properties(${name} PROPERTIES
		RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/unit)
	add_test(NAME unit.${name} COMMAND ${name}
		WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
	set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 60)
endfunction()
