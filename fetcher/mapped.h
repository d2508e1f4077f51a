// What a platform mapper makes of one upstream answer: a Post with the URLs of its media (the
// archiver downloads them and fills in the blob fields), or a tombstone.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "stillpost.pb.h"

namespace stillpost::fetcher {

struct MappedPost {
  bool gone = false;
  proto::Tombstone tombstone;  // when gone
  proto::Post post;            // when not gone
  // For a media URL, the next one to try when it fails (a smaller photo, a lower bitrate, the
  // copy on the origin server).
  std::map<std::string, std::string> fallbacks;
  // Bluesky videos: the media URL as mapped (the HLS playlist) -> {DID, blob CID}. The archiver
  // fetches the original blob from the author's PDS instead (fetcher/bluesky/bluesky.h says why).
  std::map<std::string, std::pair<std::string, std::string>> video_blobs;
  std::string note;  // what the caller should know, e.g. that a boost was followed
};

}  // namespace stillpost::fetcher
