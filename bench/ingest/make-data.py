#!/usr/bin/env python3
"""Writes an upstream-replay root for the ingest benchmark: N syndication answers, each post with
its own avatar (~5 KB) and a ~100 KB photo, every tenth with a ~1 MB video and its poster; plus
ids.txt (the posts) and urls.txt (every URL stillpost will fetch, relative to the replay root),
so curl can fetch the same set."""
import json
import os
import sys

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def blob(path, header, size, seed):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    body = os.urandom(size - len(header) - 2)
    with open(path, "wb") as f:
        f.write(header + body + (b"\xff\xd9" if header is JPEG else b"\x00\x00"))


def main():
    root, n = sys.argv[1], int(sys.argv[2])
    ids, urls = [], []
    for i in range(n):
        pid = str(1500000000000000000 + i * 7919)
        user = f"user{i}"
        avatar = f"https://pbs.twimg.com/profile_images/{i}/a{i}_normal.jpg"
        photo = f"https://pbs.twimg.com/media/P{i}.jpg"
        tweet = {
            "__typename": "Tweet", "id_str": pid, "lang": "en", "created_at": "2024-05-01T12:00:00.000Z",
            "text": f"Post {i}: an ordinary post with a photo and a link https://t.co/abc{i} https://t.co/m{i}",
            "display_text_range": [0, 60 + len(str(i))],
            "entities": {"hashtags": [], "urls": [], "user_mentions": [], "symbols": []},
            "user": {"id_str": str(1000 + i), "name": f"User {i}", "screen_name": user,
                     "profile_image_url_https": avatar, "verified": False, "is_blue_verified": False},
            "favorite_count": i, "conversation_count": 1,
            "mediaDetails": [{"type": "photo", "media_url_https": photo,
                              "original_info": {"width": 1200, "height": 800}}],
        }
        blob(os.path.join(root, f"pbs.twimg.com/profile_images/{i}/a{i}_400x400.jpg"), JPEG, 5 * 1024, i)
        blob(os.path.join(root, f"pbs.twimg.com/media/P{i}"), JPEG, 100 * 1024, i)
        urls += [f"cdn.syndication.twimg.com/tweet-result?id={pid}",
                 f"pbs.twimg.com/profile_images/{i}/a{i}_400x400.jpg",
                 f"pbs.twimg.com/media/P{i}?format=jpg&name=orig"]
        if i % 10 == 0:
            video = f"https://video.twimg.com/ext_tw_video/{i}/pu/vid/640x360/V{i}.mp4"
            poster = f"https://pbs.twimg.com/ext_tw_video_thumb/{i}/pu/img/T{i}.jpg"
            tweet["mediaDetails"].append({
                "type": "video", "media_url_https": poster, "original_info": {"width": 640, "height": 360},
                "video_info": {"duration_millis": 8000, "variants": [
                    {"bitrate": 832000, "content_type": "video/mp4", "url": video}]}})
            blob(os.path.join(root, f"video.twimg.com/ext_tw_video/{i}/pu/vid/640x360/V{i}.mp4"), MP4, 1024 * 1024, i)
            blob(os.path.join(root, f"pbs.twimg.com/ext_tw_video_thumb/{i}/pu/img/T{i}.jpg"), JPEG, 20 * 1024, i)
            urls += [f"video.twimg.com/ext_tw_video/{i}/pu/vid/640x360/V{i}.mp4",
                     f"pbs.twimg.com/ext_tw_video_thumb/{i}/pu/img/T{i}.jpg"]
        path = os.path.join(root, "cdn.syndication.twimg.com/tweet-result", pid + ".json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(tweet, f)
        ids.append(pid)
    with open(os.path.join(root, "..", "ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    with open(os.path.join(root, "..", "urls.txt"), "w") as f:
        f.write("\n".join(urls) + "\n")


if __name__ == "__main__":
    main()
