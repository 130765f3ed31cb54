# The layers, enforced by the compiler (docs/architecture.md).
#
# Every include of the project's own headers is written from the repository root
# ("vocab/scenario.h", "sim/cluster.h", "harness/cluster.h"), but no target has the repository
# root on its include path. Instead each library exposes exactly its own folder's headers, under
# their repository path, through a directory of symbolic links in the build tree
# (build/include/<target>/<folder>/<header>.h), and that directory is PUBLIC: a target sees the
# headers of itself and of what it links, and a header of any other layer is "No such file" at
# compile time. Folders nest (sim/wal/ is its own target inside sim/), so only the headers
# directly in each named folder are exposed, never its subfolders.

# replsim_expose_headers(TARGET FOLDER...): TARGET and whatever links it may include the headers
# directly inside each FOLDER (paths relative to the repository root).
function(replsim_expose_headers target)
  set(farm ${PROJECT_BINARY_DIR}/include/${target})
  file(REMOVE_RECURSE ${farm})
  foreach(folder ${ARGN})
    file(MAKE_DIRECTORY ${farm}/${folder})
    file(GLOB headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${folder}/*.h)
    foreach(header ${headers})
      get_filename_component(name ${header} NAME)
      file(CREATE_LINK ${header} ${farm}/${folder}/${name} SYMBOLIC)
    endforeach()
  endforeach()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${farm})
  else()
    target_include_directories(${target} PUBLIC ${farm})
  endif()
endfunction()

# The include directory replsim_expose_headers() made for TARGET (for builds outside CMake's
# targets, such as the clang-built fuzzer).
function(replsim_header_dir target out)
  set(${out} ${PROJECT_BINARY_DIR}/include/${target} PARENT_SCOPE)
endfunction()

# replsim_forbid_links(TARGET LIBRARY...): fails the configure if TARGET links any LIBRARY,
# directly or through what it links (the simulator never links libpq, Asio, threads, RocksDB).
# Abseil is not walked into: absl::base asks for Threads::Threads for its internal once-flags,
# which on Debian 12's glibc (2.36, libpthread merged into libc) links nothing; that the
# simulator starts no thread is checked on its text by the tidy test (tests/layers/tidy_test.cc).
function(replsim_forbid_links target)
  set(seen "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue current)
    if(current IN_LIST seen OR NOT TARGET ${current} OR current MATCHES "^absl::")
      continue()
    endif()
    list(APPEND seen ${current})
    get_target_property(aliased ${current} ALIASED_TARGET)
    if(aliased)
      list(APPEND queue ${aliased})
      continue()
    endif()
    get_target_property(type ${current} TYPE)
    set(links "")
    if(NOT type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(direct ${current} LINK_LIBRARIES)
      if(direct)
        list(APPEND links ${direct})
      endif()
    endif()
    get_target_property(iface ${current} INTERFACE_LINK_LIBRARIES)
    if(iface)
      list(APPEND links ${iface})
    endif()
    foreach(lib ${links})
      if(lib MATCHES "^\\$<")
        continue()
      endif()
      foreach(banned ${ARGN})
        if(lib STREQUAL banned)
          message(FATAL_ERROR "${target} must not link ${banned} (it does through ${current}); see docs/architecture.md")
        endif()
      endforeach()
      list(APPEND queue ${lib})
    endforeach()
  endwhile()
endfunction()
